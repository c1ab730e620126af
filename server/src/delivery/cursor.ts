import { isTerminalEvent, SpoolErrorCode } from '@spool/shared';
import { IndexOutOfRangeError, StoreError, StoreUnavailableError, StreamNotFoundError } from '../store/errors.ts';
import type { EncodedEvent } from './encoded-event.ts';
import type { LogSource } from './log-source.ts';
import { type Subscriber, untilWritable, type Watch } from './subscriber.ts';

/** What a cursor needs of its stream's fan-out. */
export interface CursorHost {
  readonly streamId: string;
  readonly source: LogSource;
  readonly pageSize: number;
  /** How long a catch-up read is retried while the store is unavailable, before the subscriber is failed. */
  readonly outageMs: number;
  /** Settles once the stream's live subscription is confirmed; rejects if it cannot be made. */
  readonly live: Promise<void>;
  /** The highest index this process has heard live; -1 before any. */
  readonly lastLiveIndex: number;
  remove(cursor: Cursor): void;
}

/**
 * One subscriber's place in one stream: the next index it needs, and nothing else. Live events are
 * written straight through while they come in order and the subscriber keeps up; anything else (the
 * start, a gap, a slow socket, a reconnect of the Redis subscriber) is caught up from the log, which
 * is the truth. The first log read starts only after the live subscription is confirmed, so nothing
 * appended in between can fall through: every index from the start is written exactly once, in order.
 */
export class Cursor implements Watch {
  readonly #host: CursorHost;
  readonly #subscriber: Subscriber;
  #next: number;
  #state: 'reading' | 'live' | 'done' = 'reading';
  /** Set when a catch-up is asked for while one is running: it reads once more before going live. */
  #again = false;
  #rangeChecked = false;
  /** While catch-up reads fail for want of the store: when the first failed, and the next try. */
  #outage: { since: number; retry: NodeJS.Timeout } | undefined;

  constructor(host: CursorHost, fromIndex: number, subscriber: Subscriber) {
    this.#host = host;
    this.#next = fromIndex;
    this.#subscriber = subscriber;
    void this.#read();
  }

  /** A live event of the stream, already encoded; written only if it is exactly the next one. */
  live(encoded: EncodedEvent): void {
    if (this.#state !== 'live') return;
    const { index } = encoded.event;
    if (index < this.#next) return;
    if (index > this.#next || !this.#subscriber.writable()) {
      this.catchUp();
      return;
    }
    this.#write(encoded);
  }

  /** Re-read the log from the next index (a gap, a slow socket, a reconnect, a quiet stream). */
  catchUp(): void {
    if (this.#state === 'done') return;
    if (this.#state === 'reading') {
      this.#again = true;
      return;
    }
    this.#state = 'reading';
    void this.#read();
  }

  stop(): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    clearTimeout(this.#outage?.retry);
    this.#host.remove(this);
  }

  fail(error: unknown): void {
    if (this.#state === 'done') return;
    this.stop();
    this.#subscriber.fail(error);
  }

  async #read(): Promise<void> {
    try {
      await this.#host.live;
      while (this.#state === 'reading') {
        this.#again = false;
        const { pageSize, source, streamId } = this.#host;
        const page = await source.readPage(streamId, this.#next, pageSize);
        if (this.#state !== 'reading') return;
        if (!page) {
          throw this.#rangeChecked
            ? new StoreError(SpoolErrorCode.streamLost, `stream ${streamId} vanished from the store while being read`)
            : new StreamNotFoundError(streamId);
        }
        if (!this.#rangeChecked) {
          const last = page.ended ? page.length - 1 : page.length;
          if (this.#next > last) throw new IndexOutOfRangeError(streamId, this.#next, page.length, page.ended);
          this.#rangeChecked = true;
        }
        this.#outage = undefined;
        if (await this.#writeAll(page.events)) return;
        const more = page.events.length === pageSize || this.#again || this.#host.lastLiveIndex >= this.#next;
        if (!more && this.#state === 'reading') this.#state = 'live';
      }
    } catch (error) {
      if (!this.#retryLater(error)) this.fail(error);
    }
  }

  /**
   * A reader already reading the stream outlives a short store outage (a Redis restart, a cluster
   * master rejoining): its catch-up is tried again, up to `outageMs` from the first failure.
   */
  #retryLater(error: unknown): boolean {
    if (!(error instanceof StoreUnavailableError) || !this.#rangeChecked || this.#state !== 'reading') return false;
    const since = this.#outage?.since ?? performance.now();
    const waited = performance.now() - since;
    if (waited >= this.#host.outageMs) return false;
    const retry = setTimeout(() => void this.#read(), Math.min(100 + waited, 1_000)).unref();
    this.#outage = { since, retry };
    return true;
  }

  /** Writes a page read from the log, waiting for a slow socket; true once the cursor is done. */
  async #writeAll(events: EncodedEvent[]): Promise<boolean> {
    const stopped = () => this.#state !== 'reading';
    for (const event of events) {
      if (!this.#subscriber.writable() && !(await untilWritable(this.#subscriber, stopped))) return true;
      if (event.event.index === this.#next) this.#write(event);
    }
    return this.#state === 'done';
  }

  #write(encoded: EncodedEvent): void {
    this.#next = encoded.event.index + 1;
    this.#subscriber.write(encoded);
    if (isTerminalEvent(encoded.event) && this.#state !== 'done') {
      this.stop();
      this.#subscriber.end();
    }
  }
}
