import { setTimeout as sleep } from 'node:timers/promises';
import type { StreamEvent, StreamEventBody } from '@spool/shared';
import { type DurationObserver, timed } from '../metrics/timed.ts';
import { StoreUnavailableError, StreamNotFoundError } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';

export interface StreamAppenderOptions {
  store: StreamStore;
  streamId: string;
  /** Each event once it is in the log, in order. */
  onAppended: (event: StreamEvent) => void;
  /** The index the first event written gets: the log's length when the appender starts (0 for a new stream). */
  nextIndex: number;
  /** Events queued behind the write in flight before `write` waits for it: a bound on memory when the store is slow. */
  maxQueued: number;
  /**
   * The log vanished (the store restarted empty): puts back every event appended so far, with the
   * same indexes, so that the writes go on where they were. Without it, that write fails.
   */
  restore?: () => Promise<void>;
  /** How long a write is retried while the store is unreachable (a restart) before it fails. */
  outageMs?: number;
  /** Sees each write to the store once it is done: how long it took, and the error if it failed (metrics). */
  onWrite?: DurationObserver;
}

/**
 * Appends one stream's events in order without a round trip each: while one write is in flight, the
 * events that arrive queue up and go together in the next (`appendBatch`, one round trip), so a fast
 * model is not held to one token per Redis round trip. A write is retried through a store outage
 * (`outageMs`) and, where the log vanished, after `restore`; a write that still fails fails the next
 * `write` or `flush`, and nothing after it is appended.
 */
export class StreamAppender {
  readonly #options: StreamAppenderOptions;
  #queued: StreamEventBody[] = [];
  #nextIndex: number;
  #writing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(options: StreamAppenderOptions) {
    this.#options = options;
    this.#nextIndex = options.nextIndex;
  }

  /** Queues `body`; settles at once unless the queue is full, then once the write in flight is done. */
  async write(body: StreamEventBody): Promise<void> {
    this.#throwIfFailed();
    this.#queued.push(body);
    this.#writing ??= this.#drain();
    if (this.#queued.length > this.#options.maxQueued) await this.#writing;
    this.#throwIfFailed();
  }

  /** Settles once everything written so far is in the log; throws what failed. */
  async flush(): Promise<void> {
    await this.#writing;
    this.#throwIfFailed();
  }

  async #drain(): Promise<void> {
    const { onAppended } = this.#options;
    try {
      while (this.#queued.length > 0 && !this.#failure) {
        const batch = this.#queued;
        this.#queued = [];
        // The expected index makes a batch that a reconnecting client sends again land once.
        const events = await this.#append(batch);
        this.#nextIndex += events.length;
        for (const event of events) onAppended(event);
      }
    } catch (error) {
      this.#failure = { error };
      this.#queued = [];
    } finally {
      this.#writing = undefined;
    }
  }

  /** One batch, through a store outage (retried) and a lost log (restored, then the batch again). */
  async #append(batch: StreamEventBody[]): Promise<StreamEvent[]> {
    const { store, streamId, restore, outageMs = 0, onWrite } = this.#options;
    const giveUpAt = performance.now() + outageMs;
    let restoring = false;
    let restored = false;
    for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 1_000)) {
      try {
        if (restoring && restore) {
          await restore();
          [restoring, restored] = [false, true];
        }
        const write = () => store.appendBatch(streamId, batch, this.#nextIndex);
        return await (onWrite ? timed(write, onWrite) : write());
      } catch (error) {
        if (error instanceof StreamNotFoundError && restore && !restored) restoring = true;
        else if (!(error instanceof StoreUnavailableError) || performance.now() + delayMs > giveUpAt) throw error;
        else await sleep(delayMs);
      }
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
