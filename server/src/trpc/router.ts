import {
  cancelStreamInputSchema,
  cancelStreamOutputSchema,
  resumeIndex,
  SpoolErrorCode,
  sendMessageInputSchema,
  sendMessageOutputSchema,
  streamInputSchema,
} from '@spool/shared';
import { tracked } from '@trpc/server';
import { v7 as uuidv7 } from 'uuid';
import { SpoolError, toTRPCError } from '../errors.ts';
import type { Generations } from '../generation/generations.ts';
import type { ModelProvider } from '../generation/provider.ts';
import { StreamNotFoundError } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';
import { type SpoolContext, t } from './init.ts';

export interface RouterDeps {
  store: StreamStore;
  generations: Generations;
  provider: ModelProvider;
  /** The generator's lease on a stream. */
  leaseMs: number;
}

/** Gives a Spool error thrown by a resolver its typed tRPC code (tRPC alone would say INTERNAL_SERVER_ERROR). */
const procedure = t.procedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof SpoolError) throw toTRPCError(result.error.cause);
  return result;
});

/** The stream's metadata if it exists and belongs to the caller; NOT_FOUND alike for both failures. */
async function ownStream(store: StreamStore, ctx: SpoolContext, streamId: string) {
  const meta = await store.meta(streamId);
  if (!meta || meta.ownerId !== ctx.userId) throw new StreamNotFoundError(streamId);
  return meta;
}

/**
 * Spool's procedures, as a factory so an app can mount them inside its own router
 * (`t.mergeRouters` or as a sub-router) with its own store and generations.
 */
export function createSpoolRouter(deps: RouterDeps) {
  const { store, generations, provider } = deps;

  return t.router({
    sendMessage: procedure
      .input(sendMessageInputSchema)
      .output(sendMessageOutputSchema)
      .mutation(async ({ input, ctx }) => {
        const model = input.model ?? provider.defaultModel;
        if (!provider.models.includes(model)) {
          throw new SpoolError(
            SpoolErrorCode.invalidInput,
            `unknown model "${model}"; available: ${provider.models.join(', ')}`,
          );
        }
        const ids = {
          conversationId: input.conversationId ?? uuidv7(),
          userMessageId: uuidv7(),
          assistantMessageId: uuidv7(),
          streamId: uuidv7(),
        };
        await store.create(ids.streamId, { ownerId: ctx.userId, leaseMs: deps.leaseMs });
        generations.start({
          streamId: ids.streamId,
          conversationId: ids.conversationId,
          messageId: ids.assistantMessageId,
          model,
          messages: [{ role: 'user', content: input.content }],
        });
        return ids;
      }),

    stream: procedure.input(streamInputSchema).subscription(async function* ({ input, ctx, signal }) {
      try {
        await ownStream(store, ctx, input.streamId);
        const events = store.read(input.streamId, { fromIndex: resumeIndex(input), signal });
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
        await ownStream(store, ctx, input.streamId);
        await store.requestCancel(input.streamId);
        return { streamId: input.streamId, cancelled: true as const };
      }),
  });
}

export type AppRouter = ReturnType<typeof createSpoolRouter>;
