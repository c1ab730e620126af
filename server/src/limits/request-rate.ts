import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';
import type { KeyValueStore } from '../store/key-value.ts';

const windowMs = 60_000;

/**
 * Requests per user per minute, counted in fixed one-minute windows in the key-value store, so every
 * instance sharing Redis counts together. One round trip per request.
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
    const window = Math.floor(now / windowMs);
    const count = await this.#keyValue.increment(`rate:${JSON.stringify(userId)}:${window}`, windowMs);
    if (count > this.#perMinute) {
      const waitS = Math.ceil(((window + 1) * windowMs - now) / 1000);
      throw new SpoolError(
        SpoolErrorCode.rateLimited,
        `more than ${this.#perMinute} requests this minute; try again in ${waitS} s`,
      );
    }
  }
}
