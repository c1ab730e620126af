import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AnswerStarts, MemoryAnswerStarts } from './answer-starts.ts';
import { type HistoryEntries, MemoryHistoryEntries } from './history-entries.ts';
import { type KeyValueStore, MemoryKeyValueStore } from './key-value.ts';
import { MemoryStreamStore } from './memory.ts';
import { RedisStreamStore } from './redis.ts';
import { RedisAnswerStarts } from './redis-answer-starts.ts';
import { RedisHistoryEntries } from './redis-history-entries.ts';
import { RedisKeyValueStore } from './redis-key-value.ts';
import type { StreamStore } from './types.ts';
import { MemoryUserLeases, RedisUserLeases, type UserLeaseOptions, type UserLeases } from './user-leases.ts';

export interface OpenStoreOptions {
  /** Unset: the in-process store. */
  redisUrl: string | undefined;
  redisPrefix: string;
  logTtlMs: number;
  log: Logger;
  userLeases: UserLeaseOptions;
}

export interface OpenedStore {
  store: StreamStore;
  /** Shared small values, in the same place as the log. */
  keyValue: KeyValueStore;
  /** Concurrent generations per user, counted across every instance sharing the store. */
  userLeases: UserLeases;
  /** What an answer's start checks and creates, at once. */
  starts: AnswerStarts;
  /** Conversations' recent messages, cached for the model. */
  history: HistoryEntries;
  kind: 'memory' | 'redis';
  /** Resolves when the store answers, and live events can reach this instance (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A connection as the Redis store needs it: failing fast while disconnected instead of queueing,
 * reconnecting by itself; the subscriber re-subscribes through `SubscriberHub`, which knows when it is done.
 */
export async function connectRedis(url: string, role: 'commands' | 'subscriber', log: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: role === 'commands',
    autoResubscribe: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    connectionName: `spool-${role}`,
  });
  // Log the transitions, not every failed reconnect attempt.
  let healthy = true;
  redis.on('error', (error) => {
    if (!healthy) return;
    healthy = false;
    log.error({ err: error, role }, 'redis connection lost; requests fail until it is back');
  });
  redis.on('ready', () => {
    if (healthy) return;
    healthy = true;
    log.warn({ role }, 'redis connection restored');
  });
  await redis.connect();
  return redis;
}

/** The store the configuration asks for, and its key-value companion; Redis gets two connections, commands and the one shared subscriber. */
export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  if (!options.redisUrl) {
    const store = new MemoryStreamStore({ logTtlMs: options.logTtlMs });
    const keyValue = new MemoryKeyValueStore();
    const userLeases = new MemoryUserLeases(options.userLeases);
    return {
      store,
      keyValue,
      userLeases,
      starts: new MemoryAnswerStarts(keyValue, userLeases, store),
      history: new MemoryHistoryEntries(),
      kind: 'memory',
      ping: async () => {},
      close: () => store.close(),
    };
  }
  const [redis, subscriber] = await Promise.all([
    connectRedis(options.redisUrl, 'commands', options.log),
    connectRedis(options.redisUrl, 'subscriber', options.log),
  ]);
  const store = new RedisStreamStore({
    redis,
    subscriber,
    prefix: options.redisPrefix,
    logTtlMs: options.logTtlMs,
    log: options.log,
  });
  try {
    await store.open();
  } catch (error) {
    await store.close();
    await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
    throw error;
  }
  return {
    store,
    keyValue: new RedisKeyValueStore(redis, options.redisPrefix),
    userLeases: new RedisUserLeases(redis, options.redisPrefix, options.userLeases),
    history: new RedisHistoryEntries(redis, options.redisPrefix),
    starts: new RedisAnswerStarts(redis, {
      prefix: options.redisPrefix,
      logTtlMs: options.logTtlMs,
      userLeases: options.userLeases,
      cancelChannel: store.cancelChannel,
    }),
    kind: 'redis',
    async ping() {
      // Commands alone are not enough: without the subscriber, no live event reaches a watcher here.
      if (subscriber.status !== 'ready') throw new Error(`the Redis subscriber connection is ${subscriber.status}`);
      await redis.ping();
    },
    async close() {
      await store.close();
      await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
    },
  };
}

/** QUIT when connected, so pending replies arrive; when not, there is nothing to wait for. */
async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}
