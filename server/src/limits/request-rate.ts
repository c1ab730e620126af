import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';
import type { RateCounter } from '../store/answer-starts.ts';
import type { KeyValueStore } from '../store/key-value.ts';

const windowMs = 60_000;

/**
 * Requests per user per minute, counted in fixed one-minute windows in the key-value store, so every
 * instance sharing Redis counts together. One round trip per request; `sendMessage` counts in its start script.
 */
export class RequestRate {
  readonly #keyValue: KeyValueStore;
  readonly #perMinute: number;

  constructor(keyValue: KeyValueStore, perMinute: number) {
    this.#keyValue = keyValue;
    this.#perMinute = perMinute;
  }

  /** Counts a request; throws RATE_LIMITED past the limit. */
  async check(userId: string): Promise<void> {
    const now = Date.now();
    const counter = this.counter(userId, now);
    if ((await this.#keyValue.increment(counter.key, counter.windowMs)) > counter.limit) throw this.refusal(now);
  }

  /** Where a request of `userId` at `now` is counted, for a caller that counts it with more (`AnswerStarts`). */
  counter(userId: string, now = Date.now()): RateCounter {
    return { key: `rate:${JSON.stringify(userId)}:${Math.floor(now / windowMs)}`, limit: this.#perMinute, windowMs };
  }

  /** The error of a request refused at `now`: when its window ends. */
  refusal(now = Date.now()): SpoolError {
    const waitS = Math.ceil(((Math.floor(now / windowMs) + 1) * windowMs - now) / 1000);
    return new SpoolError(
      SpoolErrorCode.rateLimited,
      `more than ${this.#perMinute} requests this minute; try again in ${waitS} s`,
    );
  }
}
