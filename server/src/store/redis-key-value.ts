import { withStore } from './errors.ts';
import type { KeyValueStore } from './key-value.ts';
import type { RedisClient } from './redis-connection.ts';
import { keyValueKey } from './redis-keys.ts';
import { defineScripts, type ScriptCommand } from './redis-script-commands.ts';

const scripts = {
  spoolKvDeleteIfEquals: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
  spoolKvIncrement: `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`,
} as const;

/** Keys live under `<prefix>:kv:`; every failure to reach Redis is a `StoreUnavailableError`. */
export class RedisKeyValueStore implements KeyValueStore {
  readonly #redis: RedisClient & Record<keyof typeof scripts, ScriptCommand>;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = defineScripts(redis, scripts, 1);
    this.#prefix = keyValueKey(prefix, '');
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await withStore(() => this.#redis.set(this.#prefix + key, value, 'PX', ttlMs));
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    // NX with GET (Redis >= 7.0): one round trip that both claims and reports the current holder.
    return withStore(() => this.#redis.set(this.#prefix + key, value, 'PX', ttlMs, 'NX', 'GET'));
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    // INCR and the TTL (only on the first hit: a fixed window) in one round trip.
    return Number(await withStore(() => this.#redis.spoolKvIncrement(this.#prefix + key, ttlMs)));
  }

  async deleteIfEquals(key: string, value: string): Promise<void> {
    await withStore(() => this.#redis.spoolKvDeleteIfEquals(this.#prefix + key, value));
  }
}
