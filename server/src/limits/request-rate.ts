import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';
import type { RateCounter } from '../store/answer-starts.ts';
import { type KeyValueStore, userKeyTag } from '../store/key-value.ts';

const windowMs = 60_000;

/**
 * Requests per user per minute, counted in fixed one-minute windows in the key-value store, so every
 * instance sharing Redis counts together. One round trip per request; `sendMessage` counts in its start
 * script. A user over the limit stays over until the window ends, so once refused, their requests are
 * refused here, with no round trip, until it does: a flood of refused requests costs almost nothing.
 */
export class RequestRate {
  readonly #keyValue: KeyValueStore;
  readonly #perMinute: number;
  /** Users refused in the current window, and the window's end. */
  readonly #refusedUntil = new Map<string, number>();
  #sweepAt = 0;
  /** The window's refusal, made once: every request refused in it gets the same error (and wire bytes). */
  #refusal: { windowEnd: number; error: SpoolError } | undefined;

  constructor(keyValue: KeyValueStore, perMinute: number) {
    this.#keyValue = keyValue;
    this.#perMinute = perMinute;
  }

  /** Counts a request; throws RATE_LIMITED past the limit. */
  async check(userId: string): Promise<void> {
    const now = Date.now();
    if (this.refusedAlready(userId, now)) throw this.refusal(now);
    const counter = this.counter(userId, now);
    if ((await this.#keyValue.increment(counter.key, counter.windowMs)) > counter.limit) {
      this.refused(userId, now);
      throw this.refusal(now);
    }
  }

  /** Whether `userId` was refused earlier in this window: then this request is refused too, uncounted. */
  refusedAlready(userId: string, now = Date.now()): boolean {
    if (now >= this.#sweepAt) this.#sweep(now);
    const until = this.#refusedUntil.get(userId);
    return until !== undefined && until > now;
  }

  /** `userId` went over the limit at `now` (here, or in a start script). */
  refused(userId: string, now = Date.now()): void {
    this.#refusedUntil.set(userId, windowEndOf(now));
  }

  /** Where a request of `userId` at `now` is counted, for a caller that counts it with more (`AnswerStarts`). */
  counter(userId: string, now = Date.now()): RateCounter {
    return { key: `rate:${userKeyTag(userId)}:${Math.floor(now / windowMs)}`, limit: this.#perMinute, windowMs };
  }

  /** The error of a request refused at `now`, saying when its window ends; the same instance all window. */
  refusal(now = Date.now()): SpoolError {
    const windowEnd = windowEndOf(now);
    if (this.#refusal?.windowEnd !== windowEnd) {
      const at = new Date(windowEnd).toISOString().slice(11, 19);
      const message = `more than ${this.#perMinute} requests this minute; try again after ${at} UTC`;
      this.#refusal = { windowEnd, error: new SpoolError(SpoolErrorCode.rateLimited, message) };
    }
    return this.#refusal.error;
  }

  /** Forgets the refusals of windows that ended. */
  #sweep(now: number): void {
    for (const [userId, until] of this.#refusedUntil) if (until <= now) this.#refusedUntil.delete(userId);
    this.#sweepAt = windowEndOf(now);
  }
}

function windowEndOf(now: number): number {
  return (Math.floor(now / windowMs) + 1) * windowMs;
}
