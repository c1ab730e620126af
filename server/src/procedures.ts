import { assertCancellable, readAnswer } from './answers/read-answer.ts';
import { type SendMessageDeps, sendMessage } from './answers/send-message.ts';
import { listConversations, listMessages } from './db/history.ts';
import { type SubscriptionLimits, takeSubscriptionSlot } from './limits/subscription-slots.ts';
import type { StreamStore } from './store/types.ts';
import type { SpoolApi } from './trpc/spool-api.ts';

export interface SpoolApiDeps extends SendMessageDeps {
  store: StreamStore;
  limits: SubscriptionLimits;
}

/** The procedures' work, on this process's store, database and generations. */
export function createSpoolApi(deps: SpoolApiDeps): SpoolApi {
  const { store, db, limits } = deps;
  return {
    countRequest: (userId) => limits.rate.check(userId),
    sendMessage: (userId, input) => sendMessage(deps, userId, input),
    async *watch(ctx, { streamId, fromIndex, signal }) {
      const release = takeSubscriptionSlot(ctx, limits);
      try {
        yield* readAnswer({ store, db }, { streamId, ownerId: ctx.userId, fromIndex, signal });
      } finally {
        release();
      }
    },
    async cancel(userId, streamId) {
      await assertCancellable({ store, db }, streamId, userId);
      await store.requestCancel(streamId);
    },
    listConversations: (userId, page) => listConversations(db.em(), userId, page),
    listMessages: (userId, page) => listMessages(db.em(), userId, page.conversationId, page),
  };
}
