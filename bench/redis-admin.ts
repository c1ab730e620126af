import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../server/src/store/redis-connection.ts';

/** The servers behind a client: each master of a cluster, or the one Redis. */
function serversOf(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/** Deletes every key matching `pattern` (SCAN, never KEYS: the Redis is shared), on every master. Returns how many. */
export async function deleteKeys(redis: RedisClient, pattern: string): Promise<number> {
  let deleted = 0;
  for (const server of serversOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      // One by one on a cluster: the keys of one SCAN page are in many slots.
      for (const batch of redis.isCluster ? keys.map((key) => [key]) : keys.length > 0 ? [keys] : []) {
        deleted += await server.unlink(...batch);
      }
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}

/** CPU seconds (user + system) the Redis servers have used since they started; shared, so other clients count too. */
export async function redisCpuSeconds(redis: RedisClient): Promise<number> {
  let seconds = 0;
  for (const server of serversOf(redis)) {
    const info = await server.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    seconds += field('used_cpu_user') + field('used_cpu_sys');
  }
  return seconds;
}
