import { SpoolErrorCode } from '@spool/shared';
import type { ChatRequestOptions, ChatTransport, UIMessage } from 'ai';
import type { SpoolClient } from '../client.ts';
import { SpoolError } from '../errors.ts';
import { openAnswerStream } from './answer-stream.ts';
import { ChatMemory, type SpoolChatStorage } from './chat-memory.ts';
import { spoolInputOf } from './request.ts';
import type { SpoolUIMessageChunk } from './ui-chunks.ts';

export interface SpoolChatTransportOptions {
  /** The Spool client to send and stream through; the transport does not close it. */
  client: Pick<SpoolClient, 'sendMessage' | 'stream' | 'cancel'>;
  /** The Spool conversation a chat continues while the transport knows none for it (a chat opened from Spool's history). */
  conversationId?: string | ((chatId: string) => string | undefined);
  /** The model to ask for; a request's `body.model` wins. Default: the server's. */
  model?: string;
  /** Where each chat's conversation and current answer are kept; default memory. `sessionStorage` lets a reloaded page resume. */
  storage?: SpoolChatStorage;
  /** Whether `stop()` (the abort signal of `sendMessages`) also cancels the answer on the server; default true. */
  cancelOnStop?: boolean;
}

type SendOptions = Parameters<ChatTransport<UIMessage>['sendMessages']>[0];
type ReconnectOptions = { chatId: string; abortSignal?: AbortSignal } & ChatRequestOptions;

/**
 * A `ChatTransport` for the Vercel AI SDK's `useChat`, over Spool: each submit sends the last user
 * message to the chat's Spool conversation (the history stays on the server) and streams the answer,
 * which survives dropped connections; `resumeStream()` replays the chat's answer in progress.
 *
 * - `stop()` cancels the answer on the server (`cancelOnStop`); Spool keeps the partial answer. An
 *   answer cancelled by anyone ends with an `abort` chunk, as the AI SDK's own streams do. An abort
 *   while resuming only stops watching: `resumeStream()` aborts an earlier resume of its own (React's
 *   StrictMode runs it twice), which must not cancel the answer.
 * - Finish reasons map to the AI SDK's ('content_filter' -> 'content-filter'); Spool's own, and the
 *   usage, are in the message's metadata (`SpoolMessageMetadata`).
 * - A failed answer ends with an `error` chunk (Spool's code in `metadata.error`); a refused send
 *   (unknown model, too many answers...) rejects with a `SpoolError`.
 * - Regenerating sends the user's message again, so Spool's history holds it twice (Spool has no
 *   regenerate); edits of earlier messages do not rewrite Spool's history either.
 *
 * @example
 * const spool = createSpoolClient({ url: '/trpc' });
 * const transport = new SpoolChatTransport({ client: spool, storage: sessionStorage });
 * const { messages, sendMessage, stop } = useChat<SpoolUIMessage>({ id: 'support', transport, resume: true });
 */
export class SpoolChatTransport implements ChatTransport<UIMessage> {
  /** Resuming replays the answer from its first event, and the AI SDK then rebuilds the message from scratch. */
  readonly resumeStreamIsReplay = true;
  readonly #options: SpoolChatTransportOptions;
  readonly #memory: ChatMemory;

  constructor(options: SpoolChatTransportOptions) {
    this.#options = options;
    this.#memory = new ChatMemory(options.storage);
  }

  /** The Spool conversation that holds a chat's history (known once the chat has sent a message). */
  conversationIdOf(chatId: string): string | undefined {
    const { conversationId } = this.#options;
    return (
      this.#memory.get(chatId)?.conversationId ??
      (typeof conversationId === 'function' ? conversationId(chatId) : conversationId)
    );
  }

  async sendMessages(options: SendOptions): Promise<ReadableStream<SpoolUIMessageChunk>> {
    const { chatId, abortSignal } = options;
    const { client } = this.#options;
    const conversationId = this.conversationIdOf(chatId);
    const ids = await client.sendMessage({
      ...spoolInputOf(options, this.#options.model),
      ...(conversationId === undefined ? {} : { conversationId }),
    });
    const { streamId } = ids;
    this.#memory.answerStarted(chatId, ids);
    const stop = () => {
      this.#memory.answerEnded(chatId, streamId);
      client.cancel(streamId).catch((error: unknown) => {
        console.warn(`spool: could not cancel answer ${streamId} on stop()`, error);
      });
    };
    const cancels = abortSignal !== undefined && this.#options.cancelOnStop !== false;
    if (cancels && abortSignal.aborted) stop();
    else if (cancels) abortSignal.addEventListener('abort', stop, { once: true });
    return openAnswerStream(client, streamId, {
      abortSignal,
      onEnd: () => {
        abortSignal?.removeEventListener('abort', stop);
        this.#memory.answerEnded(chatId, streamId);
      },
    });
  }

  /**
   * The chat's answer in progress, replayed from its start; null when there is none: none was sent
   * (by this transport, or into its `storage`), its end has been read, it was stopped, or Spool no
   * longer has it. An answer that ended while nobody read it is replayed whole, its end included.
   */
  async reconnectToStream(options: ReconnectOptions): Promise<ReadableStream<SpoolUIMessageChunk> | null> {
    const { chatId, abortSignal } = options;
    const streamId = this.#memory.get(chatId)?.streamId;
    if (streamId === undefined) return null;
    const onEnd = () => this.#memory.answerEnded(chatId, streamId);
    try {
      return await openAnswerStream(this.#options.client, streamId, { abortSignal, onEnd });
    } catch (error) {
      if (!(error instanceof SpoolError && error.code === SpoolErrorCode.streamNotFound)) throw error;
      onEnd();
      return null;
    }
  }
}

/** `new SpoolChatTransport(options)`, for those who prefer a factory. */
export function createSpoolChatTransport(options: SpoolChatTransportOptions): SpoolChatTransport {
  return new SpoolChatTransport(options);
}
