import type { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openRedisStore, uniquePrefix } from '../helpers/redis.ts';
import { shardChannels, useLocalRedisCluster } from '../helpers/redis-cluster.ts';
import { describeStreamStoreContract } from './contract.ts';
import { itDeliversEveryIndexOnceInOrder } from './fanout-property.ts';

const local = useLocalRedisCluster();

describeStreamStoreContract('Redis Cluster', async (tuning) => {
  const prefix = uniquePrefix();
  const opened = [await openRedisStore(prefix, tuning, local.target)];
  const [main] = opened as [Awaited<ReturnType<typeof openRedisStore>>];
  return {
    store: main.store,
    async peer() {
      const peer = await openRedisStore(prefix, tuning, local.target);
      opened.push(peer);
      return peer.store;
    },
    async liveSubscriptions() {
      // The process's own count, and the masters': both must drop to zero, but for each instance's cancel channel.
      const channels = await shardChannels(main.redis as Cluster, prefix);
      return main.store.subscribedChannelCount - 1 + channels.length - opened.length;
    },
    close: async () => {
      await Promise.all(opened.map((store) => store.close()));
    },
  };
});

describe('Redis Cluster store', () => {
  itDeliversEveryIndexOnceInOrder(async () => {
    const opened = await openRedisStore(uniquePrefix(), {}, local.target);
    onTestFinished(() => opened.close());
    return opened.store;
  }, 30);

  it('spreads streams over every master, each stream on one', async () => {
    const opened = await openRedisStore(uniquePrefix(), {}, local.target);
    onTestFinished(() => opened.close());
    const redis = opened.redis as Cluster;
    const owners = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const streamId = crypto.randomUUID();
      await opened.store.create(streamId, { ownerId: 'user-1', leaseMs: 5_000 });
      await opened.store.append(streamId, { type: 'token', text: 'x' });
      const slot = Number(await redis.cluster('KEYSLOT', `{${streamId}}`));
      owners.add(await local.cluster.ownerOf(slot));
    }
    expect([...owners].sort()).toEqual([...local.cluster.nodes].sort());
  });
});
