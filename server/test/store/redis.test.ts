import { describe, onTestFinished } from 'vitest';
import { openRedisStore, uniquePrefix } from '../helpers/redis.ts';
import { describeStreamStoreContract } from './contract.ts';
import { itDeliversEveryIndexOnceInOrder } from './fanout-property.ts';

describeStreamStoreContract('Redis', async (tuning) => {
  const prefix = uniquePrefix();
  const opened = [await openRedisStore(prefix, tuning)];
  const [main] = opened as [Awaited<ReturnType<typeof openRedisStore>>];
  return {
    store: main.store,
    async peer() {
      const peer = await openRedisStore(prefix, tuning);
      opened.push(peer);
      return peer.store;
    },
    async liveSubscriptions() {
      // The process's own count, and Redis's: both must drop to zero, but for each instance's cancel channel.
      const channels = (await main.redis.pubsub('CHANNELS', `${prefix}:*`)) as string[];
      return main.store.subscribedChannelCount - 1 + channels.length - opened.length;
    },
    close: async () => {
      await Promise.all(opened.map((store) => store.close()));
    },
  };
});

describe('Redis store fan-out', () => {
  itDeliversEveryIndexOnceInOrder(async () => {
    const opened = await openRedisStore(uniquePrefix());
    onTestFinished(() => opened.close());
    return opened.store;
  }, 60);
});
