/**
 * Small shared values beside the stream log: idempotency claims and request counters.
 * Redis when the log is in Redis (so every instance sees them), in-process in the embedded mode.
 */
export interface KeyValueStore {
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets `key` unless it exists, atomically. Returns the value already there, or null when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null>;
  /** Adds 1 to a counter, creating it with a TTL of `ttlMs` (a fixed window); returns the new count. */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Deletes `key` if it still holds `value`, atomically: one holder never removes another's. */
  deleteIfEquals(key: string, value: string): Promise<void>;
}

/**
 * Where a user's keys name the user: every key of one user (request counts, idempotency claims, and
 * `userLeaseKey`) carries it as the same Redis hash tag, the key's first `{...}`, so on a cluster they
 * are in one slot and one script can take them together.
 */
export function userKeyTag(userId: string): string {
  return `{${JSON.stringify(userId)}}`;
}

/** The embedded mode's key-value store; at most `maxEntries`, the oldest dropped first. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#set(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    // No await between the check and the set: two callers in the same tick cannot both win.
    const existing = this.#get(key);
    if (existing === null) this.#set(key, value, ttlMs);
    return existing;
  }

  async deleteIfEquals(key: string, value: string): Promise<void> {
    if (this.#get(key) === value) this.#entries.delete(key);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.#set(key, '1', ttlMs);
      return 1;
    }
    const count = Number(entry.value) + 1;
    entry.value = String(count);
    return count;
  }

  #get(key: string): string | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.#entries.delete(key);
    return null;
  }

  #set(key: string, value: string, ttlMs: number): void {
    this.#entries.delete(key); // re-inserting moves it to the young end
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
