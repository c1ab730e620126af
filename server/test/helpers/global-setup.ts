import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.ts';
import { adminQuery, databaseUrl, withAdminClient } from './postgres.ts';
import { testLog } from './redis.ts';

/**
 * The suite needs the shared Redis and PostgreSQL; say so in one line instead of a hundred timeouts.
 * Then migrate a template database that every test file copies, and drop all copies at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await checkRedis();
  const prefix = `spool_test_${randomBytes(4).toString('hex')}_`;
  const template = `${prefix}template`;
  await adminQuery(`CREATE DATABASE "${template}"`);
  const db = await openDatabase({ url: databaseUrl(template), dataDir: '', migrate: true, poolSize: 1, log: testLog });
  await db.close();
  project.provide('databaseTemplate', template);
  project.provide('databasePrefix', prefix);
  return async () => {
    await withAdminClient(async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
        [prefix],
      );
      for (const { datname } of rows) await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
    });
  };
}

async function checkRedis(): Promise<void> {
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
