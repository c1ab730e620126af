import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import { limits, type SendMessageOutput } from '@spool/shared';
import { Message } from './entities.ts';
import { ConversationNotFoundError, withDatabase } from './errors.ts';
import { type Statement, type StatementPool, withSession } from './statement-pool.ts';

/** What the answer path's writes use: its own connections, and the ORM for the rare lookup. */
export interface AnswerPathDatabase {
  statements: StatementPool;
  em(): EntityManager;
}

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

/**
 * Exchanges, one per element of the array parameters: creates each new conversation, or touches an
 * existing one if the caller owns it, and inserts the user message and the answer's `streaming`
 * placeholder of every exchange whose conversation was created or touched. Returns those
 * conversations. One statement: atomic without a transaction, and one commit for the whole batch.
 */
const saveExchanges: Statement = {
  name: 'spool_save_exchanges',
  text: `WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::boolean[], $5::uuid[], $6::text[], $7::text[],
      $8::uuid[], $9::uuid[], $10::text[])
      AS i (conversation_id, owner_id, title, existing, user_message_id, content, client_message_id,
        assistant_message_id, stream_id, model)
  ), created AS (
    INSERT INTO conversation (id, owner_id, title, created_at, updated_at)
    SELECT conversation_id, owner_id, title, $11::timestamptz, $11::timestamptz FROM input WHERE NOT existing
    RETURNING id
  ), touched AS (
    UPDATE conversation c SET updated_at = $11::timestamptz FROM input i
    WHERE i.existing AND c.id = i.conversation_id AND c.owner_id = i.owner_id
    RETURNING c.id
  ), conv AS (SELECT id FROM created UNION SELECT id FROM touched)
  INSERT INTO message (id, conversation_id, owner_id, role, content, status, client_message_id, in_reply_to, stream_id,
    model, created_at, updated_at)
  SELECT m.id, i.conversation_id, i.owner_id, m.role, m.content, m.status, m.client_message_id, m.in_reply_to,
    m.stream_id, m.model, $11::timestamptz, $11::timestamptz
  FROM input i JOIN conv ON conv.id = i.conversation_id
  CROSS JOIN LATERAL (VALUES
    (i.user_message_id, 'user', i.content, 'complete', i.client_message_id, NULL::uuid, NULL::uuid, NULL::text),
    (i.assistant_message_id, 'assistant', '', 'streaming', NULL::text, i.user_message_id, i.stream_id, i.model)
  ) AS m (id, role, content, status, client_message_id, in_reply_to, stream_id, model)
  RETURNING conversation_id`,
};

function exchangeParams(exchanges: readonly Exchange[]): unknown[] {
  const column = <T>(of: (exchange: Exchange) => T) => exchanges.map(of);
  return [
    column((e) => e.conversationId),
    column((e) => e.ownerId),
    column((e) => e.content.slice(0, limits.maxTitleChars)),
    column((e) => e.existingConversation),
    column((e) => e.userMessageId),
    column((e) => e.content),
    column((e) => e.clientMessageId ?? null),
    column((e) => e.assistantMessageId),
    column((e) => e.streamId),
    column((e) => e.model),
    new Date().toISOString(),
  ];
}

/**
 * Saves a batch of exchanges (see `saveExchanges`); one outcome per exchange: saved (undefined),
 * `ConversationNotFoundError`, or `DuplicateClientMessageError` when its `clientMessageId` is saved
 * already. A duplicate fails the batch's statement, so the batch is then saved one exchange at a time.
 */
export async function commitExchanges(
  db: AnswerPathDatabase,
  exchanges: readonly Exchange[],
): Promise<(undefined | Error)[]> {
  try {
    return await commitTogether(db, exchanges);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    if (exchanges.length === 1) return [await duplicateOf(db, exchanges[0] as Exchange, error)];
  }
  const outcomes: (undefined | Error)[] = [];
  for (const exchange of exchanges) {
    try {
      outcomes.push(...(await commitTogether(db, [exchange])));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      outcomes.push(await duplicateOf(db, exchange, error));
    }
  }
  return outcomes;
}

async function commitTogether(db: AnswerPathDatabase, exchanges: readonly Exchange[]): Promise<(undefined | Error)[]> {
  const { rows } = await withSession(db.statements, (session) => session.run(saveExchanges, exchangeParams(exchanges)));
  const saved = new Set(rows.map((row) => row.conversation_id));
  return exchanges.map((e) =>
    saved.has(e.conversationId) ? undefined : new ConversationNotFoundError(e.conversationId),
  );
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === uniqueViolation;
}

/** The earlier exchange under this one's `clientMessageId`, as an error; or the violation itself if there is none. */
async function duplicateOf(db: AnswerPathDatabase, exchange: Exchange, violation: unknown): Promise<Error> {
  const existing =
    exchange.clientMessageId === undefined
      ? null
      : await findExchange(db.em(), exchange.ownerId, exchange.clientMessageId);
  if (existing) return new DuplicateClientMessageError(existing);
  return violation instanceof Error ? violation : new Error(String(violation));
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
