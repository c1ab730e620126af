import {
  cancelStreamInputSchema,
  cancelStreamOutputSchema,
  listConversationsInputSchema,
  listConversationsOutputSchema,
  listMessagesInputSchema,
  listMessagesOutputSchema,
  resumeIndex,
  sendMessageInputSchema,
  sendMessageOutputSchema,
  streamInputSchema,
} from '@spool/shared';
import { tracked } from '@trpc/server';
import { assertCancellable, readAnswer } from '../answers/read-answer.ts';
import { type SendMessageDeps, sendMessage } from '../answers/send-message.ts';
import { listConversations, listMessages } from '../db/history.ts';
import { SpoolError, toTRPCError } from '../errors.ts';
import { t } from './init.ts';

export type RouterDeps = SendMessageDeps;

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
  const { store, db } = deps;

  return t.router({
    sendMessage: procedure
      .input(sendMessageInputSchema)
      .output(sendMessageOutputSchema)
      .mutation(({ input, ctx }) => sendMessage(deps, ctx.userId, input)),

    stream: procedure.input(streamInputSchema).subscription(async function* ({ input, ctx, signal }) {
      try {
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
      }
    }),

    cancelStream: procedure
      .input(cancelStreamInputSchema)
      .output(cancelStreamOutputSchema)
      .mutation(async ({ input, ctx }) => {
        await assertCancellable({ store, db }, input.streamId, ctx.userId);
        await store.requestCancel(input.streamId);
        return { streamId: input.streamId, cancelled: true as const };
      }),

    listConversations: procedure
      .input(listConversationsInputSchema)
      .output(listConversationsOutputSchema)
      .query(({ input, ctx }) => listConversations(db.em(), ctx.userId, input)),

    listMessages: procedure
      .input(listMessagesInputSchema)
      .output(listMessagesOutputSchema)
      .query(({ input, ctx }) => listMessages(db.em(), ctx.userId, input.conversationId, input)),
  });
}

export type AppRouter = ReturnType<typeof createSpoolRouter>;
