import { type QueryResult, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import { limits, type SendMessageOutput } from '@spool/shared';
import { Message } from './entities.ts';
import { ConversationNotFoundError, withDatabase } from './errors.ts';

/** What `sendMessage` saves before it returns: the user message and the answer's placeholder. */
export interface Exchange extends SendMessageOutput {
  ownerId: string;
  /** False: `conversationId` is new and is created with this exchange. */
  existingConversation: boolean;
  content: string;
  clientMessageId: string | undefined;
  model: string;
}

/** Raised when the caller's `clientMessageId` is already saved: the earlier exchange is the answer. */
export class DuplicateClientMessageError extends Error {
  readonly existing: SendMessageOutput;
  constructor(existing: SendMessageOutput) {
    super('clientMessageId already used');
    this.existing = existing;
  }
}

/**
 * Saves the user message and a `streaming` placeholder for the answer, creating the conversation or
 * checking that the caller owns it. One statement, so one round trip and atomic without a
 * transaction: this write stands between `sendMessage` and its reply, so it is kept as short as it
 * can be (the ORM's transaction took four round trips and about a millisecond of CPU more).
 */
export async function saveExchange(em: EntityManager, exchange: Exchange): Promise<void> {
  const now = new Date();
  const { conversationId, ownerId } = exchange;
  const conversation = exchange.existingConversation
    ? 'UPDATE conversation SET updated_at = ? WHERE id = ? AND owner_id = ? RETURNING id'
    : 'INSERT INTO conversation (id, owner_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id';
  const conversationParams = exchange.existingConversation
    ? [now, conversationId, ownerId]
    : [conversationId, ownerId, exchange.content.slice(0, limits.maxTitleChars), now, now];
  const sql = `WITH conv AS (${conversation})
    INSERT INTO message (id, conversation_id, owner_id, role, content, status, client_message_id, in_reply_to, stream_id, model, created_at, updated_at)
    SELECT m.id, conv.id, m.owner_id, m.role, m.content, m.status, m.client_message_id, m.in_reply_to, m.stream_id, m.model, m.at, m.at
    FROM conv CROSS JOIN (VALUES
      (?::uuid, ?, 'user', ?, 'complete', ?, NULL::uuid, NULL::uuid, NULL, ?::timestamptz),
      (?::uuid, ?, 'assistant', '', 'streaming', NULL, ?::uuid, ?::uuid, ?, ?::timestamptz)
    ) AS m (id, owner_id, role, content, status, client_message_id, in_reply_to, stream_id, model, at)`;
  const params = [
    ...conversationParams,
    exchange.userMessageId,
    ownerId,
    exchange.content,
    exchange.clientMessageId ?? null,
    now,
    exchange.assistantMessageId,
    ownerId,
    exchange.userMessageId,
    exchange.streamId,
    exchange.model,
    now,
  ];
  try {
    const result = await withDatabase(() => em.execute<QueryResult>(sql, params, 'run'));
    if (result.affectedRows === 0) throw new ConversationNotFoundError(conversationId);
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException) || exchange.clientMessageId === undefined) throw error;
    const existing = await findExchange(em, ownerId, exchange.clientMessageId);
    if (!existing) throw error;
    throw new DuplicateClientMessageError(existing);
  }
}

/** The ids of the exchange saved under the caller's `clientMessageId`, if any. */
async function findExchange(
  em: EntityManager,
  ownerId: string,
  clientMessageId: string,
): Promise<SendMessageOutput | null> {
  return withDatabase(async () => {
    const user = await em.findOne(Message, { ownerId, clientMessageId }, { disableIdentityMap: true });
    if (!user) return null;
    const answer = await em.findOne(Message, { inReplyTo: user.id }, { disableIdentityMap: true });
    if (!answer?.streamId) return null;
    return {
      conversationId: user.conversation.id,
      userMessageId: user.id,
      assistantMessageId: answer.id,
      streamId: answer.streamId,
    };
  });
}
