import { Redis } from 'ioredis';

/** The suite needs the shared Redis; say so in one line instead of a hundred timeouts. */
export default async function checkServices(): Promise<void> {
  const url = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`tests need Redis at ${url} (set SPOOL_TEST_REDIS_URL): ${String(error)}`);
  } finally {
    redis.disconnect();
  }
}
