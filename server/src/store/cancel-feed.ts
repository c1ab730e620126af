import type { Logger } from 'pino';
import { retryEach } from './retry-each.ts';
import type { SubscriberHub } from './subscriber-hub.ts';

/** Streams remembered as cancelled, for a generator that starts watching after its cancel arrived. */
const rememberedCancels = 10_000;

/**
 * The cancel requests for the generations of one process, on one channel of its own: a request is
 * published to the channel of the instance its stream's `generator` field names, so an answer costs no
 * subscription of its own. After a reconnect, what was published in the gap is gone: the watched
 * streams' cancel flags are read again.
 */
export class CancelFeed {
  readonly #hub: SubscriberHub;
  readonly #channel: string;
  readonly #cancelFlag: (streamId: string) => Promise<boolean>;
  readonly #log: Logger;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #cancelled = new Set<string>();
  #subscription: Promise<() => void> | undefined;

  constructor(hub: SubscriberHub, channel: string, cancelFlag: (streamId: string) => Promise<boolean>, log: Logger) {
    this.#hub = hub;
    this.#channel = channel;
    this.#cancelFlag = cancelFlag;
    this.#log = log;
  }

  /** Subscribes the channel now, so that the first answer need not wait for it. */
  open(): Promise<void> {
    return this.#subscribed().then(() => undefined);
  }

  /** Resolves once a cancel is requested for the stream, or when `signal` aborts. */
  async whenCancelled(streamId: string, signal: AbortSignal): Promise<void> {
    await this.#subscribed();
    if (this.#cancelled.has(streamId) || signal.aborted) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    const waiters = this.#waiters.get(streamId) ?? new Set<() => void>();
    this.#waiters.set(streamId, waiters);
    waiters.add(resolve);
    const done = () => resolve();
    signal.addEventListener('abort', done, { once: true });
    try {
      await promise;
    } finally {
      signal.removeEventListener('abort', done);
      waiters.delete(resolve);
      if (waiters.size === 0 && this.#waiters.get(streamId) === waiters) this.#waiters.delete(streamId);
    }
  }

  close(): void {
    // A subscription that failed was never made: there is nothing to undo (and its failure was reported).
    this.#subscription?.then((unsubscribe) => unsubscribe()).catch(() => {});
  }

  #subscribed(): Promise<() => void> {
    if (!this.#subscription) {
      const listener = { message: (streamId: string) => this.#cancel(streamId), resync: () => this.#recheck() };
      this.#subscription = this.#hub.subscribe(this.#channel, (raw) => raw, listener);
      // Failed (Redis away at the time): the next watcher tries again.
      this.#subscription.catch(() => {
        this.#subscription = undefined;
      });
    }
    return this.#subscription;
  }

  #cancel(streamId: string): void {
    this.#cancelled.add(streamId);
    if (this.#cancelled.size > rememberedCancels) this.#cancelled.delete(this.#cancelled.values().next().value ?? '');
    for (const resolve of this.#waiters.get(streamId) ?? []) resolve();
  }

  /**
   * Reads every waiter's flag again, after a reconnect. What fails (a cluster master still away) is
   * tried again each second while the stream is still waited for.
   */
  #recheck(): void {
    retryEach([...this.#waiters.keys()], {
      run: async (streamId) => {
        if (await this.#cancelFlag(streamId)) this.#cancel(streamId);
      },
      retryMs: () => 1_000,
      wanted: (streamId) => this.#waiters.has(streamId),
      onFailures: (error, failed, round) =>
        this.#log.warn({ err: error, failed, round }, 'cancel flag re-check failed after reconnect; retrying'),
    });
  }
}
