import type { Logger } from 'pino';
import { type AnswerStarts, MemoryAnswerStarts } from './answer-starts.ts';
import { type HistoryEntries, MemoryHistoryEntries } from './history-entries.ts';
import { type KeyValueStore, MemoryKeyValueStore } from './key-value.ts';
import { MemoryStreamStore } from './memory.ts';
import { RedisStreamStore } from './redis.ts';
import { RedisAnswerStarts } from './redis-answer-starts.ts';
import { closeRedis, connectRedis, type RedisTarget } from './redis-connection.ts';
import { RedisHistoryEntries } from './redis-history-entries.ts';
import { RedisKeyValueStore } from './redis-key-value.ts';
import type { StreamStore } from './types.ts';
import { MemoryUserLeases, RedisUserLeases, type UserLeaseOptions, type UserLeases } from './user-leases.ts';

export interface OpenStoreOptions {
  /** Unset: the in-process store. */
  redis: RedisTarget | undefined;
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

/** The store the configuration asks for, and its key-value companion; Redis gets two connections, commands and the one shared subscriber. */
export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  if (!options.redis) {
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
    connectRedis(options.redis, 'commands', options.log),
    connectRedis(options.redis, 'subscriber', options.log),
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
      log: options.log,
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
