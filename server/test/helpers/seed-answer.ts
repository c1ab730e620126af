import type { StreamEvent } from '@spool/shared';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../../src/db/database.ts';
import type { StreamStore } from '../../src/store/types.ts';

export interface SeedOptions {
  ownerId: string;
  leaseMs: number;
  question: string;
  model: string;
  /** Texts appended as tokens after the `start` event. */
  tokens: string[];
}

/**
 * An answer as a generator leaves it mid-way: the exchange saved (question and `streaming`
 * placeholder), its stream created, `start` and the tokens appended, no end. Returns the ids and
 * the events appended.
 */
export async function seedAnswer(services: { store: StreamStore; db: Database }, options: SeedOptions) {
  const { store, db } = services;
  const { ownerId, model } = options;
  const ids = { conversationId: uuidv7(), userMessageId: uuidv7(), assistantMessageId: uuidv7(), streamId: uuidv7() };
  const { streamId, conversationId, assistantMessageId: messageId } = ids;
  await store.create(streamId, { ownerId, leaseMs: options.leaseMs });
  const exchange = {
    ...ids,
    ownerId,
    existingConversation: false,
    content: options.question,
    clientMessageId: undefined,
    model,
  };
  await db.answers.saveExchange(exchange);
  const log: StreamEvent[] = [
    await store.append(streamId, { type: 'start', streamId, conversationId, messageId, model }),
  ];
  for (const text of options.tokens) log.push(await store.append(streamId, { type: 'token', text }));
  return { ids, log };
}
