import { type QueryResult, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import type {
  Conversation as ConversationView,
  FinishReason,
  MessageStatus,
  Message as MessageView,
  SendMessageOutput,
  SpoolErrorCode,
  Usage,
} from '@spool/shared';
import { limits } from '@spool/shared';
import type { RecordedAnswer } from '../answers/replay.ts';
import type { ChatMessage } from '../generation/provider.ts';
import { Conversation, Message, type ReplayData } from './entities.ts';
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
export async function findExchange(
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

/** An answer's final state, written once when it ends. */
export interface FinalAnswer extends RecordedAnswer {
  messageId: string;
  status: Exclude<MessageStatus, 'streaming'>;
  finishReason: FinishReason | null;
  usage: Usage | null;
  errorCode: SpoolErrorCode | null;
}

/** Writes the final answer over its placeholder. Returns false if it was already final (someone else saved it). */
export async function saveFinalAnswer(em: EntityManager, answer: FinalAnswer): Promise<boolean> {
  const updated = await withDatabase(() =>
    em.nativeUpdate(
      Message,
      { id: answer.messageId, status: 'streaming' },
      {
        content: storable(answer.content),
        status: answer.status,
        finishReason: answer.finishReason,
        promptTokens: answer.usage?.promptTokens ?? null,
        completionTokens: answer.usage?.completionTokens ?? null,
        totalTokens: answer.usage?.totalTokens ?? null,
        errorCode: answer.errorCode,
        replay: JSON.parse(JSON.stringify(answer.replay, (_key, value) => storable(value))) as ReplayData,
        updatedAt: new Date(),
      },
    ),
  );
  return updated > 0;
}

/**
 * PostgreSQL refuses NUL in text and JSON; a model can still emit one. It becomes U+REPLACEMENT CHARACTER,
 * one UTF-16 unit like NUL, so the token boundaries of the replay stay right.
 */
function storable<T>(value: T): T {
  return (typeof value === 'string' ? value.replaceAll('\0', '\uFFFD') : value) as T;
}

/** The assistant message a stream carries (or carried). */
export function findAnswerByStream(em: EntityManager, streamId: string) {
  return withDatabase(() => em.findOne(Message, { streamId }, { disableIdentityMap: true }));
}

/** Answers still marked `streaming`: live ones, and those whose generator died or whose final write is pending. */
export function findStreamingAnswers(em: EntityManager, page: { after?: string | undefined; limit: number }) {
  const where = page.after
    ? { status: 'streaming' as const, id: { $gt: page.after } }
    : { status: 'streaming' as const };
  return withDatabase(() =>
    em.find(Message, where, { orderBy: { id: 'asc' }, limit: page.limit, disableIdentityMap: true }),
  );
}

export interface ConversationHistory {
  ownerId: string;
  /** Oldest first, at most the requested count; unfinished and failed answers left out. */
  messages: (ChatMessage & { id: string })[];
}

/** A conversation's owner and its most recent messages, or null if it does not exist. */
export async function loadHistory(
  em: EntityManager,
  conversationId: string,
  count: number,
): Promise<ConversationHistory | null> {
  return withDatabase(async () => {
    const conversation = await em.findOne(Conversation, { id: conversationId }, { disableIdentityMap: true });
    if (!conversation) return null;
    const recent = await em.find(
      Message,
      { conversation: conversationId, status: { $in: ['complete', 'cancelled'] }, content: { $ne: '' } },
      { orderBy: { id: 'desc' }, limit: count, fields: ['id', 'role', 'content'], disableIdentityMap: true },
    );
    return {
      ownerId: conversation.ownerId,
      messages: recent.reverse().map(({ id, role, content }) => ({ id, role, content })),
    };
  });
}

export interface PageRequest {
  cursor?: string | undefined;
  limit: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The caller's conversations, newest first. */
export async function listConversations(
  em: EntityManager,
  ownerId: string,
  page: PageRequest,
): Promise<Page<ConversationView>> {
  const rows = await withDatabase(() =>
    em.find(
      Conversation,
      { ownerId, ...(page.cursor ? { id: { $lt: page.cursor } } : {}) },
      { orderBy: { id: 'desc' }, limit: page.limit + 1, disableIdentityMap: true },
    ),
  );
  return toPage(rows, page.limit, (row) => ({
    id: row.id,
    title: row.title,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }));
}

/** One of the caller's conversations' messages, newest first. */
export async function listMessages(
  em: EntityManager,
  ownerId: string,
  conversationId: string,
  page: PageRequest,
): Promise<Page<MessageView>> {
  const rows = await withDatabase(async () => {
    const owned = await em.count(Conversation, { id: conversationId, ownerId });
    if (owned === 0) throw new ConversationNotFoundError(conversationId);
    return em.find(
      Message,
      { conversation: conversationId, ...(page.cursor ? { id: { $lt: page.cursor } } : {}) },
      { orderBy: { id: 'desc' }, limit: page.limit + 1, disableIdentityMap: true },
    );
  });
  return toPage(rows, page.limit, toMessageView);
}

function toMessageView(row: Message): MessageView {
  const usage =
    row.promptTokens == null || row.completionTokens == null || row.totalTokens == null
      ? null
      : { promptTokens: row.promptTokens, completionTokens: row.completionTokens, totalTokens: row.totalTokens };
  return {
    id: row.id,
    conversationId: row.conversation.id,
    role: row.role,
    content: row.content,
    status: row.status,
    streamId: row.streamId ?? null,
    model: row.model ?? null,
    finishReason: row.finishReason ?? null,
    usage,
    errorCode: (row.errorCode ?? null) as SpoolErrorCode | null,
    clientMessageId: row.clientMessageId ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toPage<Row extends { id: string }, Item>(rows: Row[], limit: number, view: (row: Row) => Item): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: rows.length > limit && last ? last.id : null };
}
