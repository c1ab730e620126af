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
 * placeholder of every exchange whose conversation was created or touched by its own owner. Returns
 * the messages saved. One statement: atomic without a transaction, and one commit for the whole batch.
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
    RETURNING id, owner_id
  ), touched AS (
    UPDATE conversation c SET updated_at = $11::timestamptz FROM input i
    WHERE i.existing AND c.id = i.conversation_id AND c.owner_id = i.owner_id
    RETURNING c.id, c.owner_id
  ), conv AS (SELECT id, owner_id FROM created UNION SELECT id, owner_id FROM touched)
  INSERT INTO message (id, conversation_id, owner_id, role, content, status, client_message_id, in_reply_to, stream_id,
    model, created_at, updated_at)
  SELECT m.id, i.conversation_id, i.owner_id, m.role, m.content, m.status, m.client_message_id, m.in_reply_to,
    m.stream_id, m.model, $11::timestamptz, $11::timestamptz
  FROM input i JOIN conv ON conv.id = i.conversation_id AND conv.owner_id = i.owner_id
  CROSS JOIN LATERAL (VALUES
    (i.user_message_id, 'user', i.content, 'complete', i.client_message_id, NULL::uuid, NULL::uuid, NULL::text),
    (i.assistant_message_id, 'assistant', '', 'streaming', NULL::text, i.user_message_id, i.stream_id, i.model)
  ) AS m (id, role, content, status, client_message_id, in_reply_to, stream_id, model)
  RETURNING id`,
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

/** Unique violations one batch may meet before it gives up: each one sets the duplicates found aside. */
const maxDuplicateRounds = 3;

/**
 * Saves a batch of exchanges (see `saveExchanges`); one outcome per exchange: saved (undefined),
 * `ConversationNotFoundError`, or `DuplicateClientMessageError` when its `clientMessageId` is saved
 * already (or taken by an earlier exchange of the same batch). A duplicate fails the batch's
 * statement: the duplicates are then looked up, set aside, and the rest saved together again.
 */
export async function commitExchanges(
  db: AnswerPathDatabase,
  exchanges: readonly Exchange[],
): Promise<(undefined | Error)[]> {
  const outcomes = new Map<Exchange, undefined | Error>();
  let pending = [...exchanges];
  for (let round = 1; pending.length > 0; round++) {
    try {
      const { rows } = await withSession(db.statements, (session) =>
        session.run(saveExchanges, exchangeParams(pending)),
      );
      const saved = new Set(rows.map((row) => row.id));
      for (const e of pending) {
        outcomes.set(e, saved.has(e.userMessageId) ? undefined : new ConversationNotFoundError(e.conversationId));
      }
      break;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== uniqueViolation || round === maxDuplicateRounds) throw error;
      pending = await setDuplicatesAside(db.em(), pending, outcomes);
    }
  }
  return exchanges.map((e) => outcomes.get(e));
}

/** Records a `DuplicateClientMessageError` for each exchange whose `clientMessageId` is taken; returns the others. */
async function setDuplicatesAside(
  em: EntityManager,
  exchanges: Exchange[],
  outcomes: Map<Exchange, undefined | Error>,
): Promise<Exchange[]> {
  const keyOf = (ownerId: string, clientMessageId: string) => JSON.stringify([ownerId, clientMessageId]);
  const saved = await findExchanges(
    em,
    exchanges.flatMap((e) =>
      e.clientMessageId === undefined ? [] : [{ ownerId: e.ownerId, clientMessageId: e.clientMessageId }],
    ),
  );
  const firstInBatch = new Map<string, Exchange>();
  return exchanges.filter((e) => {
    if (e.clientMessageId === undefined) return true;
    const key = keyOf(e.ownerId, e.clientMessageId);
    const earlier = saved.get(key) ?? idsOf(firstInBatch.get(key));
    if (earlier) outcomes.set(e, new DuplicateClientMessageError(earlier));
    else firstInBatch.set(key, e);
    return !earlier;
  });
}

function idsOf(exchange: Exchange | undefined): SendMessageOutput | undefined {
  if (!exchange) return undefined;
  const { conversationId, userMessageId, assistantMessageId, streamId } = exchange;
  return { conversationId, userMessageId, assistantMessageId, streamId };
}

/** The ids of the exchanges saved under these `clientMessageId`s, by `JSON.stringify([ownerId, clientMessageId])`. */
async function findExchanges(
  em: EntityManager,
  keys: { ownerId: string; clientMessageId: string }[],
): Promise<Map<string, SendMessageOutput>> {
  const found = new Map<string, SendMessageOutput>();
  if (keys.length === 0) return found;
  return withDatabase(async () => {
    const questions = await em.find(Message, { $or: keys }, { disableIdentityMap: true });
    if (questions.length === 0) return found;
    const answers = await em.find(
      Message,
      { inReplyTo: { $in: questions.map((question) => question.id) } },
      { disableIdentityMap: true },
    );
    const answerTo = new Map(answers.map((answer) => [answer.inReplyTo, answer]));
    for (const question of questions) {
      const answer = answerTo.get(question.id);
      if (!answer?.streamId || question.clientMessageId == null) continue;
      found.set(JSON.stringify([question.ownerId, question.clientMessageId]), {
        conversationId: question.conversation.id,
        userMessageId: question.id,
        assistantMessageId: answer.id,
        streamId: answer.streamId,
      });
    }
    return found;
  });
}
