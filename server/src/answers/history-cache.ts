import { messageRoleSchema } from '@spool/shared';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { type ConversationHistory, loadHistory } from '../db/history.ts';
import { parseJson } from '../json.ts';
import type { HistoryEntries } from '../store/history-entries.ts';

const cachedMessageSchema = z.object({ id: z.string(), role: messageRoleSchema, content: z.string() });

type HistoryMessages = ConversationHistory['messages'];

export interface HistoryCacheOptions {
  db: Database;
  entries: HistoryEntries;
  /** Messages given to the model as context. */
  count: number;
  ttlMs: number;
}

/**
 * A conversation's recent messages for the model, read through the store beside the log so that a
 * follow-up question costs no database query; each final write adds its exchange. Every read and
 * write of an entry is one atomic step, so concurrent answers of a conversation lose no update.
 */
export class HistoryCache {
  readonly #options: HistoryCacheOptions;

  constructor(options: HistoryCacheOptions) {
    this.#options = options;
  }

  /** The owner and recent messages, or null if the conversation does not exist. */
  async load(conversationId: string): Promise<ConversationHistory | null> {
    const { db, entries, count, ttlMs } = this.#options;
    const cached = await entries.load(conversationId);
    if (cached.hit) {
      const messages = decode(cached.messages);
      if (messages) return { ownerId: cached.ownerId, messages };
      // Unreadable: read the database and cache it afresh.
      await entries.forget(conversationId, ttlMs);
      return this.load(conversationId);
    }
    const history = await loadHistory(db.em(), conversationId, count);
    if (history) await entries.fill(conversationId, cached.version, history.ownerId, encode(history.messages), ttlMs);
    return history;
  }

  /** Adds a finished exchange to a cached history: the next question in the conversation needs no query. */
  async append(conversationId: string, messages: HistoryMessages): Promise<void> {
    const { entries, count, ttlMs } = this.#options;
    const added = messages.map((message) => ({ id: message.id, json: encodeMessage(message) }));
    await entries.append(conversationId, added, count, ttlMs);
  }

  /** Drops the cached history: the next load reads the database. For saves made outside `append`. */
  async forget(conversationId: string): Promise<void> {
    await this.#options.entries.forget(conversationId, this.#options.ttlMs);
  }
}

/** Id first: `HistoryEntries` recognises a message by how its JSON starts. */
function encodeMessage({ id, role, content }: HistoryMessages[number]): string {
  return JSON.stringify({ id, role, content });
}

function encode(messages: HistoryMessages): string[] {
  return messages.map(encodeMessage);
}

function decode(messages: string[]): HistoryMessages | null {
  const decoded: HistoryMessages = [];
  for (const json of messages) {
    const message = cachedMessageSchema.safeParse(parseJson(json));
    if (!message.success) return null;
    decoded.push(message.data);
  }
  return decoded;
}
