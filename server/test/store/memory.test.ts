import { MemoryStreamStore } from '../../src/store/memory.ts';
import { describeStreamStoreContract } from './contract.ts';

describeStreamStoreContract('in-process', async (tuning) => {
  const store = new MemoryStreamStore(tuning);
  return {
    store,
    peer: async () => store,
    liveSubscriptions: async () => store.liveSubscriptionCount,
    close: () => store.close(),
  };
});
