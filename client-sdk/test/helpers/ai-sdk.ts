/** What the AI SDK transport's tests share: messages, a chat as `useChat` runs it, storage, models. */
import type { ModelProvider } from '@spool/server';
import type { FinishReason } from '@spool/shared';
import {
  AbstractChat,
  type ChatInit,
  type ChatState,
  type ChatStatus,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import type {
  SpoolChatStorage,
  SpoolChatTransport,
  SpoolUIMessage,
  SpoolUIMessageChunk,
} from '../../src/ai-sdk/index.ts';

export const paced = { demoTokens: 60, demoTokensPerSecond: 150 };

/** A user message as `useChat` makes one. */
export function userMessage(text: string, id = crypto.randomUUID()): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

/** `sendMessages` as `useChat` calls it for a submit. */
export function submit(
  transport: SpoolChatTransport,
  chatId: string,
  messages: UIMessage[],
  abortSignal?: AbortSignal,
) {
  return transport.sendMessages({ trigger: 'submit-message', chatId, messageId: undefined, messages, abortSignal });
}

/** Passes a chunk stream through, keeping each chunk; `onChunk` sees each first, to act mid-stream. */
export function recorded(stream: ReadableStream<SpoolUIMessageChunk>, onChunk?: (chunk: SpoolUIMessageChunk) => void) {
  const chunks: SpoolUIMessageChunk[] = [];
  const through = new TransformStream<SpoolUIMessageChunk, SpoolUIMessageChunk>({
    transform(chunk, controller) {
      chunks.push(chunk);
      onChunk?.(chunk);
      controller.enqueue(chunk);
    },
  });
  return { chunks, stream: stream.pipeThrough(through) };
}

/** The message the AI SDK builds from a chunk stream, and the errors the stream reported. */
export async function finalMessage(stream: ReadableStream<SpoolUIMessageChunk>) {
  const errors: unknown[] = [];
  let message: SpoolUIMessage | undefined;
  for await (const snapshot of readUIMessageStream<SpoolUIMessage>({ stream, onError: (e) => errors.push(e) })) {
    message = snapshot;
  }
  if (!message) throw new Error('the stream built no message');
  return { message, errors };
}

export const textOf = (message: UIMessage | undefined) =>
  (message?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');

export const deltas = (chunks: UIMessageChunk[]) =>
  chunks.flatMap((chunk) => (chunk.type === 'text-delta' ? [chunk.delta] : []));

/** A model that says a little, then finishes for `finishReason`. */
export function finishingModel(finishReason: FinishReason): ModelProvider {
  return {
    defaultModel: 'finishing',
    models: ['finishing'],
    async *stream() {
      yield { type: 'text', text: 'Cut short' };
      yield { type: 'finish', finishReason, usage: null };
    },
  };
}

/** `useChat`'s state, as plain arrays: `AbstractChat` with it is what `useChat` runs. */
export class ArrayState implements ChatState<SpoolUIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined;
  messages: SpoolUIMessage[];
  constructor(messages: SpoolUIMessage[] = []) {
    this.messages = messages;
  }
  pushMessage = (message: SpoolUIMessage) => {
    this.messages = [...this.messages, message];
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index: number, message: SpoolUIMessage) => {
    this.messages = this.messages.with(index, message);
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

export class TestChat extends AbstractChat<SpoolUIMessage> {
  constructor({ messages, ...init }: ChatInit<SpoolUIMessage>) {
    super({ ...init, state: new ArrayState(messages) });
  }
}

/** A `sessionStorage` stand-in that outlives a "page": transports made with it share what it holds. */
export function memoryStorage(): SpoolChatStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}
