import { Cursor, type CursorHost } from './cursor.ts';
import type { EncodedEvent } from './encoded-event.ts';
import type { LiveListener, LogSource } from './log-source.ts';
import { QuietCheck } from './quiet-check.ts';
import type { Subscriber, Watch } from './subscriber.ts';

export interface FanoutTuning {
  /** Events read from the log per round trip while catching up. */
  pageSize: number;
  /** Quiet time after which a watched stream's generator lease is checked and its watchers re-read the log. */
  idleMs: number;
}

/**
 * Delivery of every watched stream in this process: one live subscription per stream, however many
 * watchers it has; each live event encoded once and handed to every watcher's cursor.
 */
export class Fanouts {
  readonly #source: LogSource;
  readonly #tuning: FanoutTuning;
  readonly #onSweepError: (error: unknown, streamId: string) => void;
  readonly #streams = new Map<string, StreamFanout>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(source: LogSource, tuning: FanoutTuning, onSweepError: (error: unknown, streamId: string) => void) {
    this.#source = source;
    this.#tuning = tuning;
    this.#onSweepError = onSweepError;
  }

  /** Streams with at least one watcher in this process. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Watchers across all streams. */
  get watcherCount(): number {
    let count = 0;
    for (const stream of this.#streams.values()) count += stream.size;
    return count;
  }

  /**
   * Every event of `streamId` from `fromIndex` on, exactly once and in order, to `subscriber`, ending
   * with the terminal event (`end`) or a failure (`fail`: not found, out of range, store unavailable).
   */
  watch(streamId: string, fromIndex: number, subscriber: Subscriber): Watch {
    let stream = this.#streams.get(streamId);
    if (!stream) {
      stream = new StreamFanout(streamId, this.#source, this.#tuning, (empty) => this.#forget(empty));
      this.#streams.set(streamId, stream);
      this.#sweeper ??= setInterval(() => this.#sweep(), this.#tuning.idleMs / 2).unref();
    }
    return stream.add(fromIndex, subscriber);
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #forget(stream: StreamFanout): void {
    if (this.#streams.get(stream.streamId) === stream) this.#streams.delete(stream.streamId);
    if (this.#streams.size === 0) this.close();
  }

  /**
   * Streams quiet for a while: is their generator still there? Then every watcher re-reads the log. A
   * check that failed is reported and tried again at the next sweep; the re-read fails the watchers
   * only if the store is really gone.
   */
  #sweep(): void {
    for (const stream of this.#streams.values()) {
      if (!stream.quiet.sweep()) continue;
      this.#source.endIfAbandoned(stream.streamId).then(
        () => stream.catchUpAll(),
        (error: unknown) => {
          this.#onSweepError(error, stream.streamId);
          stream.catchUpAll();
        },
      );
    }
  }
}

/** One stream's watchers in this process, behind its one live subscription. */
class StreamFanout implements CursorHost, LiveListener {
  readonly streamId: string;
  readonly source: LogSource;
  readonly pageSize: number;
  readonly outageMs: number;
  readonly live: Promise<void>;
  lastLiveIndex = -1;
  readonly #cursors = new Set<Cursor>();
  readonly #onEmpty: (stream: StreamFanout) => void;
  #unsubscribe: (() => void) | undefined;
  /** Swept every `idleMs / 2`: quiet for `idleMs` to `1.5 idleMs`. */
  readonly quiet = new QuietCheck(2);

  constructor(streamId: string, source: LogSource, tuning: FanoutTuning, onEmpty: (stream: StreamFanout) => void) {
    this.streamId = streamId;
    this.source = source;
    this.pageSize = tuning.pageSize;
    // A reader waits out a store outage as long as it waits for a quiet stream before re-reading.
    this.outageMs = tuning.idleMs;
    this.#onEmpty = onEmpty;
    this.live = source.subscribeLive(streamId, this).then(
      (unsubscribe) => {
        if (this.#cursors.size === 0) unsubscribe();
        else this.#unsubscribe = unsubscribe;
      },
      (error: unknown) => {
        this.#onEmpty(this);
        throw error;
      },
    );
    // Each cursor awaits `live` and fails on its own; this keeps the rejection from counting as unhandled.
    this.live.catch(() => {});
  }

  get size(): number {
    return this.#cursors.size;
  }

  add(fromIndex: number, subscriber: Subscriber): Watch {
    const cursor = new Cursor(this, fromIndex, subscriber);
    this.#cursors.add(cursor);
    return cursor;
  }

  remove(cursor: Cursor): void {
    if (!this.#cursors.delete(cursor) || this.#cursors.size > 0) return;
    this.#onEmpty(this);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  message(encoded: EncodedEvent): void {
    this.quiet.mark();
    const { index } = encoded.event;
    if (index > this.lastLiveIndex) this.lastLiveIndex = index;
    for (const cursor of this.#cursors) {
      // A subscriber that throws fails alone; the others, and whoever delivered the event, go on.
      try {
        cursor.live(encoded);
      } catch (error) {
        cursor.fail(error);
      }
    }
  }

  resync(): void {
    this.catchUpAll();
  }

  catchUpAll(): void {
    for (const cursor of this.#cursors) cursor.catchUp();
  }
}
