import type { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { RedisTarget } from '../../src/store/redis-connection.ts';
import { type LocalRedisCluster, startLocalRedisCluster } from '../support/redis-cluster.ts';

/**
 * A local 3-master Redis Cluster for this test file (`startLocalRedisCluster`): started before its
 * first test, removed after its last. Call at the top of a `describe` or the file.
 */
export function useLocalRedisCluster(): { readonly cluster: LocalRedisCluster; readonly target: RedisTarget } {
  let cluster: LocalRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startLocalRedisCluster();
  }, 30_000);
  afterAll(() => cluster?.stop());
  return {
    get cluster() {
      if (!cluster) throw new Error('the local Redis Cluster is not started yet (use it inside a test)');
      return cluster;
    },
    get target() {
      return { clusterNodes: this.cluster.nodes };
    },
  };
}

/** Sharded channels under `prefix` that some master has subscribers for, across the cluster. */
export async function shardChannels(redis: Cluster, prefix: string): Promise<string[]> {
  const perMaster = await Promise.all(
    redis.nodes('master').map((node) => node.call('PUBSUB', 'SHARDCHANNELS', `${prefix}:*`) as Promise<string[]>),
  );
  return perMaster.flat();
}
