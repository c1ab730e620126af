import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import { limits, type SendMessageOutput } from '@spool/shared';
import type { Database } from './database.ts';
import { Message } from './entities.ts';
import { ConversationNotFoundError, withDatabase } from './errors.ts';
import type { Statement, StatementSession } from './statement-pool.ts';

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

/** PostgreSQL's unique_violation. */
const uniqueViolation = '23505';

/** The two messages of an exchange, after a `conv` CTE that yields the conversation's id; parameters from `$first`. */
function messagesSql(first: number): string {
  const $ = (n: number) => `$${first + n}`;
  return `INSERT INTO message (id, conversation_id, owner_id, role, content, status, client_message_id, in_reply_to, stream_id, model, created_at, updated_at)
    SELECT m.id, conv.id, m.owner_id, m.role, m.content, m.status, m.client_message_id, m.in_reply_to, m.stream_id, m.model, m.at, m.at
    FROM conv CROSS JOIN (VALUES
      (${$(0)}::uuid, $2::text, 'user', ${$(1)}::text, 'complete', ${$(2)}::text, NULL::uuid, NULL::uuid, NULL::text, ${$(3)}::timestamptz),
      (${$(4)}::uuid, $2::text, 'assistant', '', 'streaming', NULL::text, ${$(0)}::uuid, ${$(5)}::uuid, ${$(6)}::text, ${$(3)}::timestamptz)
    ) AS m (id, owner_id, role, content, status, client_message_id, in_reply_to, stream_id, model, at)`;
}

/** $1 conversation, $2 owner, $3 title, $4 now, then the messages'. */
const newConversation: Statement = {
  name: 'spool_exchange_new_conversation',
  text: `WITH conv AS (
    INSERT INTO conversation (id, owner_id, title, created_at, updated_at)
    VALUES ($1::uuid, $2::text, $3::text, $4::timestamptz, $4::timestamptz) RETURNING id
  ) ${messagesSql(5)}`,
};

/** $1 conversation, $2 owner, $3 now, then the messages'. Updates nothing unless the caller owns it. */
const existingConversation: Statement = {
  name: 'spool_exchange_existing_conversation',
  text: `WITH conv AS (
    UPDATE conversation SET updated_at = $3::timestamptz WHERE id = $1::uuid AND owner_id = $2::text RETURNING id
  ) ${messagesSql(4)}`,
};

/**
 * Saves the user message and a `streaming` placeholder for the answer, creating the conversation or
 * checking that the caller owns it. One prepared statement: one round trip, atomic without a
 * transaction, and no ORM unit of work, since it stands between `sendMessage` and its reply.
 */
export async function saveExchange(db: Database, session: StatementSession, exchange: Exchange): Promise<void> {
  const now = new Date().toISOString();
  const { conversationId, ownerId } = exchange;
  const messages = [
    exchange.userMessageId,
    exchange.content,
    exchange.clientMessageId ?? null,
    now,
    exchange.assistantMessageId,
    exchange.streamId,
    exchange.model,
  ];
  const [statement, params] = exchange.existingConversation
    ? [existingConversation, [conversationId, ownerId, now, ...messages]]
    : [newConversation, [conversationId, ownerId, exchange.content.slice(0, limits.maxTitleChars), now, ...messages]];
  try {
    if ((await session.run(statement, params)) === 0) throw new ConversationNotFoundError(conversationId);
  } catch (error) {
    if ((error as { code?: unknown }).code !== uniqueViolation || exchange.clientMessageId === undefined) throw error;
    const existing = await findExchange(db.em(), ownerId, exchange.clientMessageId);
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
