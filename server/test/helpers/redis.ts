import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { RedisStreamStore } from '../../src/store/redis.ts';
import { connectRedis, type RedisTarget } from '../../src/store/redis-connection.ts';
import type { StoreTuning } from '../../src/store/tuning.ts';

export const testRedisUrl = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const testLog = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

/** A key prefix no other test uses, so test files run in parallel against one Redis. */
export function uniquePrefix(): string {
  return `spooltest:${randomUUID()}`;
}

/** A Redis store as a server process has it: its own command and subscriber connections; on the shared Redis unless `target` says. */
export async function openRedisStore(
  prefix: string,
  tuning: Partial<StoreTuning> = {},
  target: RedisTarget = { url: testRedisUrl },
) {
  const [redis, subscriber] = await Promise.all([
    connectRedis(target, 'commands', testLog),
    connectRedis(target, 'subscriber', testLog),
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
export async function observeRedis(prefix: string, target?: RedisTarget) {
  const opened = await openRedisStore(prefix, {}, target);
  onTestFinished(() => opened.close());
  return opened;
}
