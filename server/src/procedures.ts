import { SpoolErrorCode } from '@spool/shared';
import { assertCancellable, readAnswer } from './answers/read-answer.ts';
import { type SendMessageDeps, sendMessage } from './answers/send-message.ts';
import { listConversations, listMessages } from './db/history.ts';
import { SpoolError } from './errors.ts';
import type { PerUserQueries } from './limits/per-user-queries.ts';
import { type SubscriptionLimits, takeSubscriptionSlot } from './limits/subscription-slots.ts';
import type { StreamStore } from './store/types.ts';
import type { SpoolApi } from './trpc/spool-api.ts';

export interface SpoolApiDeps extends SendMessageDeps {
  store: StreamStore;
  limits: SubscriptionLimits;
  /** Each user's database reads, a few at a time. */
  queries: PerUserQueries;
  /** True once this instance is shutting down: no new answer starts here. */
  draining: () => boolean;
}

const shuttingDown = new SpoolError(
  SpoolErrorCode.shuttingDown,
  'this instance is shutting down and starts no new answer; send it again (another instance takes it)',
);

/** The procedures' work, on this process's store, database and generations. */
export function createSpoolApi(deps: SpoolApiDeps): SpoolApi {
  const { store, db, limits, queries } = deps;
  const sources = { store, db, queries };
  return {
    countRequest: (userId) => limits.rate.check(userId),
    sendMessage(userId, input) {
      // Before any work: the client sends again (the SDK does), and the balancer picks another instance.
      if (deps.draining()) return Promise.reject(shuttingDown);
      return sendMessage(deps, userId, input);
    },
    async *watch(ctx, { streamId, fromIndex, signal }) {
      const release = takeSubscriptionSlot(ctx, limits, fromIndex);
      try {
        yield* readAnswer(sources, { streamId, ownerId: ctx.userId, fromIndex, signal });
      } finally {
        release();
      }
    },
    async cancel(userId, streamId) {
      await assertCancellable(sources, streamId, userId);
      await store.requestCancel(streamId);
    },
    listConversations: (userId, page) => queries.run(userId, () => listConversations(db.em(), userId, page)),
    listMessages: (userId, page) => queries.run(userId, () => listMessages(db.em(), userId, page.conversationId, page)),
  };
}
