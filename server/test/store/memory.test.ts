import { describe, onTestFinished } from 'vitest';
import { MemoryStreamStore } from '../../src/store/memory.ts';
import { describeStreamStoreContract } from './contract.ts';
import { itDeliversEveryIndexOnceInOrder } from './fanout-property.ts';

describeStreamStoreContract('in-process', async (tuning) => {
  const store = new MemoryStreamStore(tuning);
  return {
    store,
    peer: async () => store,
    liveSubscriptions: async () => store.liveSubscriptionCount,
    close: () => store.close(),
  };
});

describe('in-process store fan-out', () => {
  itDeliversEveryIndexOnceInOrder(async () => {
    const store = new MemoryStreamStore();
    onTestFinished(() => store.close());
    return store;
  }, 200);
});
