import { withStore } from './errors.ts';
import type { RedisClient } from './redis-connection.ts';
import { userLeaseKey } from './redis-keys.ts';
import { defineScripts, type ScriptCommand } from './redis-script-commands.ts';

/**
 * A per-user limit on concurrent generations. Each running answer holds a lease with a TTL that its
 * generator refreshes with its stream lease; a crashed process's leases lapse by themselves. Leases
 * are taken as an answer starts (`AnswerStarts`), with the rest of what a start needs.
 */
export interface UserLeases {
  refresh(userId: string, streamId: string): Promise<void>;
  release(userId: string, streamId: string): Promise<void>;
}

export interface UserLeaseOptions {
  limit: number;
  ttlMs: number;
}

/** The embedded mode's leases: one process, one map. */
export class MemoryUserLeases implements UserLeases {
  readonly #options: UserLeaseOptions;
  readonly #byUser = new Map<string, Map<string, number>>();

  constructor(options: UserLeaseOptions) {
    this.#options = options;
  }

  /** Takes a lease for `streamId` unless the user already holds `limit`; returns whether it did. */
  async acquire(userId: string, streamId: string): Promise<boolean> {
    const leases = this.#live(userId);
    if (leases.size >= this.#options.limit) return false;
    leases.set(streamId, Date.now() + this.#options.ttlMs);
    this.#byUser.set(userId, leases);
    return true;
  }

  async refresh(userId: string, streamId: string): Promise<void> {
    const leases = this.#byUser.get(userId);
    if (leases?.has(streamId)) leases.set(streamId, Date.now() + this.#options.ttlMs);
  }

  async release(userId: string, streamId: string): Promise<void> {
    const leases = this.#byUser.get(userId);
    leases?.delete(streamId);
    if (leases?.size === 0) this.#byUser.delete(userId);
  }

  #live(userId: string): Map<string, number> {
    const leases = this.#byUser.get(userId) ?? new Map<string, number>();
    const now = Date.now();
    for (const [streamId, expiresAt] of leases) if (expiresAt <= now) leases.delete(streamId);
    return leases;
  }
}

const scripts = {
  spoolLeaseRefresh: `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
-- Only ever lengthened: the set may hold a lease that lasts longer (an answer queued for a worker).
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`,
} as const;

/** Leases shared by every instance through Redis (a ZSET of stream ids scored by expiry): the limit holds across them. */
export class RedisUserLeases implements UserLeases {
  readonly #redis: RedisClient & Record<keyof typeof scripts, ScriptCommand>;
  readonly #prefix: string;
  readonly #options: UserLeaseOptions;

  constructor(redis: RedisClient, prefix: string, options: UserLeaseOptions) {
    this.#redis = defineScripts(redis, scripts, 1);
    this.#prefix = prefix;
    this.#options = options;
  }

  async refresh(userId: string, streamId: string): Promise<void> {
    await withStore(() => this.#redis.spoolLeaseRefresh(this.#key(userId), streamId, this.#options.ttlMs));
  }

  async release(userId: string, streamId: string): Promise<void> {
    await withStore(() => this.#redis.zrem(this.#key(userId), streamId));
  }

  #key(userId: string): string {
    return userLeaseKey(this.#prefix, userId);
  }
}
