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
import { SpoolError, toTRPCError } from '../errors.ts';
import { requireUser, t } from './init.ts';
import type { SpoolApi } from './spool-api.ts';

/**
 * Every procedure needs a user (UNAUTHORIZED without one, before anything is read) and gives a Spool
 * error thrown by a resolver its typed tRPC code (tRPC alone would say INTERNAL_SERVER_ERROR).
 */
const procedure = t.procedure.use(async ({ ctx, next }) => {
  const userId = requireUser(ctx);
  const result = await next({ ctx: { userId } });
  if (!result.ok && result.error.cause instanceof SpoolError) throw toTRPCError(result.error.cause);
  return result;
});

/**
 * Spool's procedures over `api`. Mount the router in an app's own tRPC router as a sub-router
 * (`mountSpool`), or serve it alone (`startSpool`).
 */
export function createSpoolRouter(api: SpoolApi) {
  // Every call counts against the caller's requests per minute, subscription starts included.
  const limited = procedure.use(async ({ ctx, next }) => {
    await api.countRequest(ctx.userId);
    return next();
  });

  return t.router({
    // Counted with the rest of its start, in one store round trip. Its output is ids this server made
    // (typed as `SendMessageOutput`), so it is not parsed again on the way out.
    sendMessage: procedure
      .input(sendMessageInputSchema)
      .mutation(({ input, ctx }) => api.sendMessage(ctx.userId, input)),

    stream: limited.input(streamInputSchema).subscription(async function* ({ input, ctx, signal }) {
      try {
        const events = api.watch(ctx, { streamId: input.streamId, fromIndex: resumeIndex(input), signal });
        for await (const event of events) {
          const draining = ctx.waitForDrain?.();
          if (draining) await draining;
          yield tracked(String(event.index), event);
        }
      } catch (error) {
        throw toTRPCError(error);
      }
    }),

    cancelStream: limited
      .input(cancelStreamInputSchema)
      .output(cancelStreamOutputSchema)
      .mutation(async ({ input, ctx }) => {
        await api.cancel(ctx.userId, input.streamId);
        return { streamId: input.streamId, cancelled: true as const };
      }),

    listConversations: limited
      .input(listConversationsInputSchema)
      .output(listConversationsOutputSchema)
      .query(({ input, ctx }) => api.listConversations(ctx.userId, input)),

    listMessages: limited
      .input(listMessagesInputSchema)
      .output(listMessagesOutputSchema)
      .query(({ input, ctx }) => api.listMessages(ctx.userId, input)),
  });
}

export type AppRouter = ReturnType<typeof createSpoolRouter>;
