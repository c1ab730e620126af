/** A cached history as it is kept: its owner and its messages, oldest first, each as JSON starting `{"id":"<id>"`. */
export type HistoryLookup = { hit: true; ownerId: string; messages: string[] } | { hit: false; version: number };

/** A message to add: its id (to recognise it) and its JSON, which starts with that id. */
export interface HistoryMessage {
  id: string;
  json: string;
}

/**
 * Conversations' recent messages beside the log, each operation atomic: two answers of a conversation
 * finishing together both land, and a fill read from the database before an append cannot overwrite it.
 */
export interface HistoryEntries {
  /** The cached history; on a miss, the version a later `fill` must still find. */
  load(conversationId: string): Promise<HistoryLookup>;
  /** Caches what the database held, unless an append or a forget came after `version` was read. */
  fill(conversationId: string, version: number, ownerId: string, messages: string[], ttlMs: number): Promise<void>;
  /** Adds the messages not there yet and keeps the last `count`; nothing cached: nothing to add to. */
  append(conversationId: string, messages: HistoryMessage[], count: number, ttlMs: number): Promise<void>;
  /** Drops the cached history: the next load reads the database (and a fill begun before this is ignored). */
  forget(conversationId: string, ttlMs: number): Promise<void>;
}

interface Entry {
  ownerId: string | undefined;
  messages: string[];
  version: number;
  expiresAt: number;
}

/** The embedded mode's: one map, at most `maxEntries` conversations, the least recently used dropped first. */
export class MemoryHistoryEntries implements HistoryEntries {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  async load(conversationId: string): Promise<HistoryLookup> {
    const entry = this.#live(conversationId);
    if (entry?.ownerId === undefined) return { hit: false, version: entry?.version ?? 0 };
    return { hit: true, ownerId: entry.ownerId, messages: [...entry.messages] };
  }

  async fill(conversationId: string, version: number, ownerId: string, messages: string[], ttlMs: number) {
    const entry = this.#live(conversationId);
    if ((entry?.version ?? 0) !== version || entry?.ownerId !== undefined) return;
    this.#put(conversationId, { ownerId, messages: [...messages], version, expiresAt: Date.now() + ttlMs });
  }

  async append(conversationId: string, messages: HistoryMessage[], count: number, ttlMs: number) {
    const entry = this.#live(conversationId) ?? { ownerId: undefined, messages: [], version: 0, expiresAt: 0 };
    entry.version++;
    entry.expiresAt = Date.now() + ttlMs;
    if (entry.ownerId !== undefined) {
      for (const message of messages) {
        if (!entry.messages.some((json) => json.startsWith(idPrefix(message.id)))) entry.messages.push(message.json);
      }
      entry.messages = count === 0 ? [] : entry.messages.slice(-count);
    }
    this.#put(conversationId, entry);
  }

  async forget(conversationId: string, ttlMs: number) {
    const version = (this.#live(conversationId)?.version ?? 0) + 1;
    this.#put(conversationId, { ownerId: undefined, messages: [], version, expiresAt: Date.now() + ttlMs });
  }

  #live(conversationId: string): Entry | undefined {
    const entry = this.#entries.get(conversationId);
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(conversationId);
      return undefined;
    }
    return entry;
  }

  #put(conversationId: string, entry: Entry): void {
    this.#entries.delete(conversationId); // re-inserting moves it to the young end
    this.#entries.set(conversationId, entry);
    const oldest = this.#entries.size > this.#maxEntries ? this.#entries.keys().next().value : undefined;
    if (oldest !== undefined) this.#entries.delete(oldest);
  }
}

/** How every kept message's JSON starts: `JSON.stringify` of an object whose first key is its id. */
export function idPrefix(id: string): string {
  return `{"id":${JSON.stringify(id)}`;
}
