import {
  cancelStreamInputSchema,
  cancelStreamOutputSchema,
  listConversationsInputSchema,
  listConversationsOutputSchema,
  listMessagesInputSchema,
  listMessagesOutputSchema,
  resumeIndex,
  sendMessageInputSchema,
  streamInputSchema,
} from '@spool/shared';
import { tracked } from '@trpc/server';
import { assertCancellable, readAnswer } from '../answers/read-answer.ts';
import { type SendMessageDeps, sendMessage } from '../answers/send-message.ts';
import { listConversations, listMessages } from '../db/history.ts';
import { SpoolError, toTRPCError } from '../errors.ts';
import { type SubscriptionLimits, takeSubscriptionSlot } from '../limits/subscription-slots.ts';
import type { StreamStore } from '../store/types.ts';
import { t } from './init.ts';

export interface RouterDeps extends SendMessageDeps {
  store: StreamStore;
  limits: SubscriptionLimits;
}

/** Gives a Spool error thrown by a resolver its typed tRPC code (tRPC alone would say INTERNAL_SERVER_ERROR). */
const procedure = t.procedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof SpoolError) throw toTRPCError(result.error.cause);
  return result;
});

/**
 * Spool's procedures, as a factory so an app can mount them inside its own router
 * (`t.mergeRouters` or as a sub-router) with its own store, database and generations.
 */
export function createSpoolRouter(deps: RouterDeps) {
  const { store, db, limits } = deps;
  // Every call counts against the caller's requests per minute, subscription starts included.
  const limited = procedure.use(async ({ ctx, next }) => {
    await limits.rate.check(ctx.userId);
    return next();
  });

  return t.router({
    // Counted with the rest of its start, in one store round trip. Its output is ids this server made
    // (typed as `SendMessageOutput`), so it is not parsed again on the way out.
    sendMessage: procedure
      .input(sendMessageInputSchema)
      .mutation(({ input, ctx }) => sendMessage(deps, ctx.userId, input)),

    stream: limited.input(streamInputSchema).subscription(async function* ({ input, ctx, signal }) {
      let release: (() => void) | undefined;
      try {
        release = takeSubscriptionSlot(ctx, limits);
        const events = readAnswer(
          { store, db },
          { streamId: input.streamId, ownerId: ctx.userId, fromIndex: resumeIndex(input), signal },
        );
        for await (const event of events) {
          const draining = ctx.waitForDrain?.();
          if (draining) await draining;
          yield tracked(String(event.index), event);
        }
      } catch (error) {
        throw toTRPCError(error);
      } finally {
        release?.();
      }
    }),

    cancelStream: limited
      .input(cancelStreamInputSchema)
      .output(cancelStreamOutputSchema)
      .mutation(async ({ input, ctx }) => {
        await assertCancellable({ store, db }, input.streamId, ctx.userId);
        await store.requestCancel(input.streamId);
        return { streamId: input.streamId, cancelled: true as const };
      }),

    listConversations: limited
      .input(listConversationsInputSchema)
      .output(listConversationsOutputSchema)
      .query(({ input, ctx }) => listConversations(db.em(), ctx.userId, input)),

    listMessages: limited
      .input(listMessagesInputSchema)
      .output(listMessagesOutputSchema)
      .query(({ input, ctx }) => listMessages(db.em(), ctx.userId, input.conversationId, input)),
  });
}

export type AppRouter = ReturnType<typeof createSpoolRouter>;
