import { type SendMessageInput, type SendMessageOutput, SpoolErrorCode } from '@spool/shared';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.ts';
import { DuplicateClientMessageError, saveExchange } from '../db/exchanges.ts';
import { SpoolError } from '../errors.ts';
import type { Generations } from '../generation/generations.ts';
import type { ModelProvider } from '../generation/provider.ts';
import type { StreamStore } from '../store/types.ts';
import type { UserLeases } from '../store/user-leases.ts';
import type { ClientMessageClaims } from './client-message-claims.ts';

export interface SendMessageDeps {
  store: StreamStore;
  generations: Generations;
  provider: ModelProvider;
  db: Database;
  claims: ClientMessageClaims;
  userLeases: UserLeases;
  /** The generator's lease on a stream. */
  leaseMs: number;
  log: Logger;
}

/**
 * The hot path. Ids are made here (UUIDv7); generation starts at once, in parallel with the
 * statement that saves the user message, and this returns when that statement has committed,
 * so the ids it returns are durable. If the save fails, the generation is stopped before it saves
 * anything. A repeated `clientMessageId` returns the first request's ids and starts nothing.
 */
export async function sendMessage(
  deps: SendMessageDeps,
  ownerId: string,
  input: SendMessageInput,
): Promise<SendMessageOutput> {
  const model = input.model ?? deps.provider.defaultModel;
  if (!deps.provider.models.includes(model)) {
    throw new SpoolError(
      SpoolErrorCode.invalidInput,
      `unknown model "${model}"; available: ${deps.provider.models.join(', ')}`,
    );
  }
  const ids: SendMessageOutput = {
    conversationId: input.conversationId ?? uuidv7(),
    userMessageId: uuidv7(),
    assistantMessageId: uuidv7(),
    streamId: uuidv7(),
  };
  const { clientMessageId } = input;
  if (clientMessageId === undefined) return startAnswer(deps, { ownerId, input, model, ids });

  const earlier = await deps.claims.claim(ownerId, clientMessageId, ids);
  if (earlier) return earlier;
  try {
    await startAnswer(deps, { ownerId, input, model, ids });
  } catch (error) {
    // A duplicate found by the database (the fast-path claim had lapsed): remember its ids again.
    const settle =
      error instanceof DuplicateClientMessageError
        ? deps.claims.commit(ownerId, clientMessageId, error.existing)
        : deps.claims.release(ownerId, clientMessageId, ids);
    await settle.catch((claimError: unknown) => {
      // The uncommitted claim lapses by itself shortly; until then a retry is told to try again.
      deps.log.warn({ err: claimError, clientMessageId }, 'could not settle an idempotency claim');
    });
    if (error instanceof DuplicateClientMessageError) return error.existing;
    throw error;
  }
  await deps.claims.commit(ownerId, clientMessageId, ids).catch((commitError: unknown) => {
    // Saved all the same: once the uncommitted claim lapses, the database's unique index answers a repeat.
    deps.log.warn({ err: commitError, clientMessageId }, 'could not mark an idempotency claim committed');
  });
  return ids;
}

interface NewAnswer {
  ownerId: string;
  input: SendMessageInput;
  model: string;
  ids: SendMessageOutput;
}

/** Takes a user lease, creates the stream, starts the generation and saves the exchange beside it. */
async function startAnswer(deps: SendMessageDeps, answer: NewAnswer): Promise<SendMessageOutput> {
  const { ownerId, input, model, ids } = answer;
  if (!(await deps.userLeases.acquire(ownerId, ids.streamId))) {
    throw new SpoolError(
      SpoolErrorCode.tooManyStreams,
      'too many answers are generating for you at once; wait for one to end or cancel one',
    );
  }
  try {
    await deps.store.create(ids.streamId, { ownerId, leaseMs: deps.leaseMs });
  } catch (error) {
    // No generation will release the lease: give it back now.
    await deps.userLeases.release(ownerId, ids.streamId).catch((releaseError: unknown) => {
      deps.log.warn(
        { err: releaseError, streamId: ids.streamId },
        'could not release a user lease; it lapses by itself',
      );
    });
    throw error;
  }
  const existingConversation = input.conversationId !== undefined;
  const exchangeSaved = Promise.withResolvers<boolean>();
  // From here the generation owns the lease and releases it when it ends, whatever happens.
  deps.generations.start({
    ...ids,
    existingConversation,
    ownerId,
    messageId: ids.assistantMessageId,
    model,
    prompt: input.content,
    exchangeSaved: exchangeSaved.promise,
  });
  const exchange = {
    ...ids,
    ownerId,
    existingConversation,
    content: input.content,
    clientMessageId: input.clientMessageId,
    model,
  };
  try {
    await saveExchange(deps.db.em(), exchange);
  } catch (error) {
    exchangeSaved.resolve(false);
    deps.generations.stop(ids.streamId, 'rejected');
    throw error;
  }
  exchangeSaved.resolve(true);
  return ids;
}
