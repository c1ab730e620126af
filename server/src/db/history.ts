import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import {
  type Conversation as ConversationView,
  type Message as MessageView,
  SpoolErrorCode,
  spoolErrorCodeSchema,
} from '@spool/shared';
import type { ChatMessage } from '../generation/provider.ts';
import { Conversation, Message } from './entities.ts';
import { ConversationNotFoundError, withDatabase } from './errors.ts';

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
    // A code this version does not know (written by a newer one) reads as INTERNAL rather than failing the page.
    errorCode: row.errorCode == null ? null : spoolErrorCodeSchema.catch(SpoolErrorCode.internal).parse(row.errorCode),
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
