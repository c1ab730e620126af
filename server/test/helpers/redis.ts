import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { connectRedis } from '../../src/store/redis-connection.ts';
import { RedisStreamStore } from '../../src/store/redis.ts';
import type { StoreTuning } from '../../src/store/tuning.ts';

export const testRedisUrl = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const testLog = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

/** A key prefix no other test uses, so test files run in parallel against one Redis. */
export function uniquePrefix(): string {
  return `spooltest:${randomUUID()}`;
}

/** A Redis store as a server process has it: its own command and subscriber connections. */
export async function openRedisStore(prefix: string, tuning: Partial<StoreTuning> = {}) {
  const [redis, subscriber] = await Promise.all([
    connectRedis({ url: testRedisUrl }, 'commands', testLog),
    connectRedis({ url: testRedisUrl }, 'subscriber', testLog),
  ]);
  const store = new RedisStreamStore({ redis, subscriber, prefix, log: testLog, ...tuning });
  await store.open();
  return {
    store,
    redis,
    subscriber,
    async close() {
      await store.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}

/** A Redis store on `prefix` for a test to look at what the servers wrote; closed when the test finishes. */
export async function observeRedis(prefix: string) {
  const opened = await openRedisStore(prefix);
  onTestFinished(() => opened.close());
  return opened;
}
