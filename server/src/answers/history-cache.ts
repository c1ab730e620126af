import { messageRoleSchema } from '@spool/shared';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { type ConversationHistory, loadHistory } from '../db/history.ts';
import { parseJson } from '../json.ts';
import type { KeyValueStore } from '../store/key-value.ts';

const cachedHistorySchema = z.object({
  ownerId: z.string(),
  messages: z.array(z.object({ id: z.string(), role: messageRoleSchema, content: z.string() })),
});

export interface HistoryCacheOptions {
  db: Database;
  keyValue: KeyValueStore;
  /** Messages given to the model as context. */
  count: number;
  ttlMs: number;
}

/**
 * A conversation's recent messages for the model, read through the key-value store so that a follow-up
 * question costs no database query; each final write adds its exchange.
 */
export class HistoryCache {
  readonly #options: HistoryCacheOptions;

  constructor(options: HistoryCacheOptions) {
    this.#options = options;
  }

  /** The owner and recent messages, or null if the conversation does not exist. */
  async load(conversationId: string): Promise<ConversationHistory | null> {
    // A missing or unreadable entry: read the database and cache it afresh.
    return (await this.#cached(conversationId)) ?? this.#refresh(conversationId);
  }

  /**
   * Adds a finished exchange to a cached history, so the next question in the conversation needs no
   * database query. Nothing cached: nothing to do, the next load reads the database. Read, then
   * write: two answers of one conversation finishing in the same instant can lose one of the two
   * updates until the entry expires (a user rarely sends two questions at once in one conversation).
   */
  async append(conversationId: string, messages: ConversationHistory['messages']): Promise<void> {
    const { keyValue, count, ttlMs } = this.#options;
    const cached = await this.#cached(conversationId);
    if (!cached) return;
    const known = new Set(cached.messages.map((message) => message.id));
    const updated = [...cached.messages, ...messages.filter((message) => !known.has(message.id))].slice(-count);
    await keyValue.set(keyOf(conversationId), JSON.stringify({ ...cached, messages: updated }), ttlMs);
  }

  /** Drops the cached history: the next load reads the database. For saves made outside `append`. */
  async forget(conversationId: string): Promise<void> {
    await this.#options.keyValue.delete(keyOf(conversationId));
  }

  /** The cached history, if there is a readable one. */
  async #cached(conversationId: string): Promise<ConversationHistory | undefined> {
    const cached = await this.#options.keyValue.get(keyOf(conversationId));
    const parsed = cached === null ? undefined : cachedHistorySchema.safeParse(parseJson(cached));
    return parsed?.success ? parsed.data : undefined;
  }

  /** Reads the history from the database and caches it. */
  async #refresh(conversationId: string): Promise<ConversationHistory | null> {
    const { db, keyValue, count, ttlMs } = this.#options;
    const history = await loadHistory(db.em(), conversationId, count);
    if (history) await keyValue.set(keyOf(conversationId), JSON.stringify(history), ttlMs);
    return history;
  }
}

function keyOf(conversationId: string): string {
  return `history:${conversationId}`;
}
