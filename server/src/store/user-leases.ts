import type { Redis } from 'ioredis';
import { withStore } from './errors.ts';

/**
 * A per-user limit on concurrent generations. Each running answer holds a lease with a TTL that its
 * generator refreshes with its stream lease; a crashed process's leases lapse by themselves.
 */
export interface UserLeases {
  /** Takes a lease for `streamId` unless the user already holds `limit`; returns whether it did. */
  acquire(userId: string, streamId: string): Promise<boolean>;
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

type ScriptCommand = (key: string, ...args: (string | number)[]) => Promise<unknown>;
type LeaseRedis = Redis & Record<'spoolLeaseAcquire' | 'spoolLeaseRefresh', ScriptCommand>;

/** ZSET of stream ids scored by expiry; lapsed ones are dropped before counting, all in one script. */
const acquireScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const refreshScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Leases shared by every instance through Redis: the limit holds across them. */
export class RedisUserLeases implements UserLeases {
  readonly #redis: LeaseRedis;
  readonly #prefix: string;
  readonly #options: UserLeaseOptions;

  constructor(redis: Redis, prefix: string, options: UserLeaseOptions) {
    // Defined once on the connection, then sent by hash rather than as text per call.
    redis.defineCommand('spoolLeaseAcquire', { numberOfKeys: 1, lua: acquireScript });
    redis.defineCommand('spoolLeaseRefresh', { numberOfKeys: 1, lua: refreshScript });
    this.#redis = redis as LeaseRedis;
    this.#prefix = prefix;
    this.#options = options;
  }

  async acquire(userId: string, streamId: string): Promise<boolean> {
    const { limit, ttlMs } = this.#options;
    return (await withStore(() => this.#redis.spoolLeaseAcquire(this.#key(userId), streamId, limit, ttlMs))) === 1;
  }

  async refresh(userId: string, streamId: string): Promise<void> {
    await withStore(() => this.#redis.spoolLeaseRefresh(this.#key(userId), streamId, this.#options.ttlMs));
  }

  async release(userId: string, streamId: string): Promise<void> {
    await withStore(() => this.#redis.zrem(this.#key(userId), streamId));
  }

  #key(userId: string): string {
    return `${this.#prefix}:user-leases:${JSON.stringify(userId)}`;
  }
}
