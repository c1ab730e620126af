import type { Redis } from 'ioredis';
import { StoreUnavailableError } from './errors.ts';
import type { KeyValueStore } from './key-value.ts';

const deleteIfEqualsScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const incrementScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/** Keys live under `<prefix>:kv:`; every failure to reach Redis is a `StoreUnavailableError`. */
export class RedisKeyValueStore implements KeyValueStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}:kv:`;
  }

  get(key: string): Promise<string | null> {
    return this.#call(() => this.#redis.get(this.#prefix + key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#call(() => this.#redis.set(this.#prefix + key, value, 'PX', ttlMs));
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    // NX with GET (Redis >= 7.0): one round trip that both claims and reports the current holder.
    return this.#call(() => this.#redis.set(this.#prefix + key, value, 'PX', ttlMs, 'NX', 'GET'));
  }

  async delete(key: string): Promise<void> {
    await this.#call(() => this.#redis.del(this.#prefix + key));
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    // INCR and the TTL (only on the first hit: a fixed window) in one round trip.
    return Number(await this.#call(() => this.#redis.eval(incrementScript, 1, this.#prefix + key, ttlMs)));
  }

  async deleteIfEquals(key: string, value: string): Promise<void> {
    await this.#call(() => this.#redis.eval(deleteIfEqualsScript, 1, this.#prefix + key, value));
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }
}
