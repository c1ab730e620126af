import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { MemoryStreamStore } from './memory.ts';
import { RedisStreamStore } from './redis.ts';
import type { StreamStore } from './types.ts';

export interface OpenStoreOptions {
  /** Unset: the in-process store. */
  redisUrl: string | undefined;
  redisPrefix: string;
  logTtlMs: number;
  log: Logger;
}

export interface OpenedStore {
  store: StreamStore;
  kind: 'memory' | 'redis';
  close(): Promise<void>;
}

/**
 * The store the configuration asks for. Redis gets two connections: commands (auto-pipelined, failing
 * fast while disconnected instead of queueing) and the one shared subscriber.
 */
export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  if (!options.redisUrl) {
    const store = new MemoryStreamStore({ logTtlMs: options.logTtlMs });
    return { store, kind: 'memory', close: () => store.close() };
  }
  const connect = (role: string) => {
    const redis = new Redis(options.redisUrl as string, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: role === 'commands',
      autoResubscribe: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: `spool-${role}`,
    });
    redis.on('error', (error) => options.log.warn({ err: error, role }, 'redis connection error'));
    return redis;
  };
  const redis = connect('commands');
  const subscriber = connect('subscriber');
  await Promise.all([redis.connect(), subscriber.connect()]);
  const store = new RedisStreamStore({
    redis,
    subscriber,
    prefix: options.redisPrefix,
    logTtlMs: options.logTtlMs,
    log: options.log,
  });
  return {
    store,
    kind: 'redis',
    async close() {
      await store.close();
      await Promise.all([redis.quit(), subscriber.quit()]);
    },
  };
}
