import { type SendMessageOutput, spoolIdSchema } from '@spool/shared';

/** Where chats are remembered: `sessionStorage` fits (a reload can then resume), or anything with the same two methods. */
export interface SpoolChatStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** What the transport remembers of one chat. */
export interface ChatRecord {
  /** The Spool conversation that keeps the chat's history. */
  conversationId: string;
  /** The answer being generated, until its terminal event has been read (or it was stopped). */
  streamId?: string;
}

const keyOf = (chatId: string) => `spool:ai-sdk:${chatId}`;

/**
 * Per chat id: its Spool conversation and its current answer. Kept in memory, and written through to
 * `storage` when given, where a new page finds it; a storage that fails (a full quota, storage
 * disabled) is warned about and the chat goes on with what memory holds.
 */
export class ChatMemory {
  readonly #records = new Map<string, ChatRecord>();
  readonly #storage: SpoolChatStorage | undefined;

  constructor(storage?: SpoolChatStorage) {
    this.#storage = storage;
  }

  get(chatId: string): ChatRecord | undefined {
    const known = this.#records.get(chatId);
    if (known) return known;
    const stored = this.#read(chatId);
    if (stored) this.#records.set(chatId, stored);
    return stored;
  }

  answerStarted(chatId: string, ids: SendMessageOutput): void {
    this.#write(chatId, { conversationId: ids.conversationId, streamId: ids.streamId });
  }

  /** Forgets the chat's current answer, if it is still `streamId` (a newer one may have started since). */
  answerEnded(chatId: string, streamId: string): void {
    const record = this.get(chatId);
    if (record?.streamId === streamId) this.#write(chatId, { conversationId: record.conversationId });
  }

  #write(chatId: string, record: ChatRecord): void {
    this.#records.set(chatId, record);
    try {
      this.#storage?.setItem(keyOf(chatId), JSON.stringify(record));
    } catch (error) {
      console.warn(`spool: could not store chat ${chatId}; it is remembered in memory only`, error);
    }
  }

  #read(chatId: string): ChatRecord | undefined {
    const saved = this.#storage?.getItem(keyOf(chatId));
    if (!saved) return undefined;
    try {
      return parseRecord(JSON.parse(saved));
    } catch (error) {
      console.warn(`spool: ignoring the stored state of chat ${chatId}, which is not JSON`, error);
      return undefined;
    }
  }
}

/** A stored record, checked: it comes from storage other code (or an older version) may have written. */
function parseRecord(value: unknown): ChatRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { conversationId, streamId } = value as Record<string, unknown>;
  const conversation = spoolIdSchema.safeParse(conversationId);
  if (!conversation.success) return undefined;
  const stream = spoolIdSchema.safeParse(streamId);
  return stream.success
    ? { conversationId: conversation.data, streamId: stream.data }
    : { conversationId: conversation.data };
}
