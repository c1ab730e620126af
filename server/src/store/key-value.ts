/**
 * Small shared values beside the stream log: idempotency claims, caches, pending final writes.
 * Redis when the log is in Redis (so every instance sees them), in-process in the embedded mode.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets `key` unless it exists, atomically. Returns the value already there, or null when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null>;
  delete(key: string): Promise<void>;
}

/** The embedded mode's key-value store; at most `maxEntries`, the oldest dropped first. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  async get(key: string): Promise<string | null> {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.#entries.delete(key);
    return null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.delete(key); // re-inserting moves it to the young end
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    const existing = await this.get(key);
    if (existing !== null) return existing;
    await this.set(key, value, ttlMs);
    return null;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}
