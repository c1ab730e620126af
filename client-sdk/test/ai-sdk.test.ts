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
import { describe, expect, it, vi } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import {
  createSpoolChatTransport,
  type SpoolChatStorage,
  SpoolChatTransport,
  type SpoolUIMessage,
  type SpoolUIMessageChunk,
} from '../src/ai-sdk/index.ts';
import { SpoolError } from '../src/errors.ts';
import type { Transport } from '../src/transports.ts';
import { rateLimitedModel } from './helpers/models.ts';
import { fullText, lastSavedAnswer, spoolClient } from './helpers/sdk.ts';

const paced = { demoTokens: 60, demoTokensPerSecond: 150 };

/** A user message as `useChat` makes one. */
function userMessage(text: string, id = crypto.randomUUID()): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

/** `sendMessages` as `useChat` calls it for a submit. */
function submit(transport: SpoolChatTransport, chatId: string, messages: UIMessage[], abortSignal?: AbortSignal) {
  return transport.sendMessages({ trigger: 'submit-message', chatId, messageId: undefined, messages, abortSignal });
}

/** Passes a chunk stream through, keeping each chunk; `onChunk` sees each first, to act mid-stream. */
function recorded(stream: ReadableStream<SpoolUIMessageChunk>, onChunk?: (chunk: SpoolUIMessageChunk) => void) {
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
async function finalMessage(stream: ReadableStream<SpoolUIMessageChunk>) {
  const errors: unknown[] = [];
  let message: SpoolUIMessage | undefined;
  for await (const snapshot of readUIMessageStream<SpoolUIMessage>({ stream, onError: (e) => errors.push(e) })) {
    message = snapshot;
  }
  if (!message) throw new Error('the stream built no message');
  return { message, errors };
}

const textOf = (message: UIMessage | undefined) =>
  (message?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');

const deltas = (chunks: UIMessageChunk[]) =>
  chunks.flatMap((chunk) => (chunk.type === 'text-delta' ? [chunk.delta] : []));

/** A model that says a little, then finishes for `finishReason`. */
function finishingModel(finishReason: FinishReason): ModelProvider {
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
class ArrayState implements ChatState<SpoolUIMessage> {
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

class TestChat extends AbstractChat<SpoolUIMessage> {
  constructor({ messages, ...init }: ChatInit<SpoolUIMessage>) {
    super({ ...init, state: new ArrayState(messages) });
  }
}

/** A `sessionStorage` stand-in that outlives a "page": transports made with it share what it holds. */
function memoryStorage(): SpoolChatStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}

describe('sendMessages', () => {
  it('streams the answer as UI chunks: the message is the saved answer, with Spool ids in its metadata', async () => {
    const server = await startTestServer({ demoTokens: 30 });
    const spool = spoolClient({ url: server.url });
    const transport = createSpoolChatTransport({ client: spool });
    const { chunks, stream } = recorded(await submit(transport, 'chat', [userMessage('Why is the sky blue?')]));
    const { message, errors } = await finalMessage(stream);

    const metadata = message.metadata;
    if (!metadata) throw new Error('no metadata');
    const saved = await lastSavedAnswer(spool, metadata.conversationId);
    expect(errors).toEqual([]);
    expect(message).toMatchObject({ id: saved?.id, role: 'assistant' });
    expect(textOf(message)).toBe(saved?.content);
    expect(textOf(message)).toBe(await fullText(spool, metadata.streamId));
    expect(metadata).toMatchObject({
      streamId: saved?.streamId,
      model: expect.stringContaining('demo'),
      finishReason: 'stop',
    });
    expect(transport.conversationIdOf('chat')).toBe(metadata.conversationId);
    expect(chunks.map((chunk) => chunk.type)).toEqual([
      'start',
      'text-start',
      ...Array(30).fill('text-delta'),
      'text-end',
      'message-metadata',
      'finish',
    ]);
    expect(chunks.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it.each<[FinishReason, string]>([
    ['length', 'length'],
    ['content_filter', 'content-filter'],
    ['tool_calls', 'tool-calls'],
  ])("maps Spool's '%s' finish to the AI SDK's '%s'", async (spoolReason, uiReason) => {
    const server = await startTestServer({ provider: finishingModel(spoolReason) });
    const transport = new SpoolChatTransport({ client: spoolClient({ url: server.url }) });
    const { chunks, stream } = recorded(await submit(transport, 'chat', [userMessage('go')]));
    const { message } = await finalMessage(stream);
    expect(chunks.at(-1)).toEqual({ type: 'finish', finishReason: uiReason });
    expect(message.metadata?.finishReason).toBe(spoolReason);
    expect(textOf(message)).toBe('Cut short');
  });

  it('keeps a chat in one Spool conversation: later submits go where the first one started', async () => {
    const server = await startTestServer();
    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool });
    const first = userMessage('first');
    await finalMessage(await submit(transport, 'one', [first]));
    const conversationId = transport.conversationIdOf('one');
    const { message } = await finalMessage(
      await submit(transport, 'one', [first, { id: 'a1', role: 'assistant', parts: [] }, userMessage('second')]),
    );
    await finalMessage(await submit(transport, 'other', [userMessage('elsewhere')]));

    expect(message.metadata?.conversationId).toBe(conversationId);
    expect(transport.conversationIdOf('other')).not.toBe(conversationId);
    const saved = await spool.trpc.listMessages.query({ conversationId: conversationId ?? '', limit: 10 });
    const newestFirst = saved.items.map((item) => (item.role === 'user' ? item.content : 'an answer'));
    expect(newestFirst.reverse()).toEqual(['first', 'an answer', 'second', 'an answer']);
  });

  it('answers a submit retried with the same user message once: the retry streams the first answer', async () => {
    const server = await startTestServer();
    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool });
    const messages = [userMessage('only once')];
    const first = await finalMessage(await submit(transport, 'chat', messages));
    const retried = await finalMessage(await submit(transport, 'chat', messages));

    expect(retried.message.id).toBe(first.message.id);
    expect(textOf(retried.message)).toBe(textOf(first.message));
    const conversationId = first.message.metadata?.conversationId ?? '';
    expect((await spool.trpc.listMessages.query({ conversationId, limit: 10 })).items).toHaveLength(2);
  });

  describe.each<Exclude<Transport, 'auto'>>(['ws', 'sse'])('over %s', (transport) => {
    it('a connection dropped after the first text delta still gives the exact full text, once', async () => {
      const server = await startTestServer(paced);
      const spool = spoolClient({ url: server.url, transport });
      let dropped = false;
      const chat = new SpoolChatTransport({ client: spool });
      const { chunks, stream } = recorded(await submit(chat, 'chat', [userMessage('through a drop')]), (chunk) => {
        if (chunk.type !== 'text-delta' || dropped) return;
        dropped = true;
        spool.dropConnection();
      });
      const { message, errors } = await finalMessage(stream);

      expect(dropped).toBe(true);
      expect(errors).toEqual([]);
      const text = await fullText(spool, message.metadata?.streamId ?? '');
      expect(deltas(chunks)).toHaveLength(paced.demoTokens);
      expect(deltas(chunks).join('')).toBe(text);
      expect(textOf(message)).toBe(text);
      expect(chunks.filter((chunk) => chunk.type === 'start')).toHaveLength(1);
    });
  });

  it('an answer cancelled elsewhere ends with an abort chunk, its partial text kept', async () => {
    const server = await startTestServer({ demoTokens: 200, demoTokensPerSecond: 100 });
    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool });
    let cancelling: Promise<void> | undefined;
    const { chunks, stream } = recorded(await submit(transport, 'chat', [userMessage('stop me')]), (chunk) => {
      if (chunk.type === 'start' && chunk.messageMetadata) cancelling = spool.cancel(chunk.messageMetadata.streamId);
    });
    const { message } = await finalMessage(stream);
    await cancelling;

    expect(chunks.at(-1)).toEqual({ type: 'abort', reason: 'cancelled' });
    expect(chunks.some((chunk) => chunk.type === 'finish')).toBe(false);
    expect(message.metadata?.finishReason).toBe('cancelled');
    expect(deltas(chunks).length).toBeLessThan(200);
    expect(textOf(message)).toBe(await fullText(spool, message.metadata?.streamId ?? ''));
  });

  it('a send Spool refuses (an unknown model) rejects with a SpoolError', async () => {
    const server = await startTestServer();
    const transport = new SpoolChatTransport({ client: spoolClient({ url: server.url }), model: 'no-such-model' });
    const sent = submit(transport, 'chat', [userMessage('hello')]);
    await expect(sent).rejects.toBeInstanceOf(SpoolError);
    await expect(sent).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('no-such-model'),
    });
    expect(await transport.reconnectToStream({ chatId: 'chat' })).toBeNull();
  });
});

describe('as useChat runs it (AbstractChat)', () => {
  it('streams the answer into one assistant message, and is ready after', async () => {
    const server = await startTestServer({ demoTokens: 20 });
    const spool = spoolClient({ url: server.url });
    const chat = new TestChat({ id: 'chat', transport: new SpoolChatTransport({ client: spool }) });
    await chat.sendMessage({ text: 'hello' });

    expect(chat.status).toBe('ready');
    expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    const answer = chat.lastMessage;
    expect(textOf(answer)).toBe(await fullText(spool, answer?.metadata?.streamId ?? ''));
  });

  it('stop() cancels the answer on the server, which keeps its partial text; nothing is left to resume', async () => {
    const server = await startTestServer({ demoTokens: 500, demoTokensPerSecond: 100 });
    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool });
    const chat = new TestChat({ id: 'chat', transport });
    const sending = chat.sendMessage({ text: 'a long one' });
    await vi.waitFor(() =>
      expect(chat.lastMessage).toMatchObject({ role: 'assistant', parts: [{ text: expect.any(String) }] }),
    );
    await chat.stop();
    await sending;

    const streamId = chat.lastMessage?.metadata?.streamId ?? '';
    const rest = spool.stream(streamId);
    let end: unknown;
    for await (const event of rest) end = event;
    expect(end).toMatchObject({ type: 'done', finishReason: 'cancelled' });
    const saved = await lastSavedAnswer(spool, chat.lastMessage?.metadata?.conversationId);
    expect(saved).toMatchObject({ status: 'cancelled', finishReason: 'cancelled' });
    expect(saved?.content.startsWith(textOf(chat.lastMessage))).toBe(true);
    expect(chat.status).toBe('ready');
    expect(await transport.reconnectToStream({ chatId: 'chat' })).toBeNull();
  });

  it('with cancelOnStop false, stop() only stops watching: the answer finishes on the server', async () => {
    const server = await startTestServer({ demoTokens: 40, demoTokensPerSecond: 100 });
    const spool = spoolClient({ url: server.url });
    const chat = new TestChat({
      id: 'chat',
      transport: new SpoolChatTransport({ client: spool, cancelOnStop: false }),
    });
    const sending = chat.sendMessage({ text: 'keep going' });
    await vi.waitFor(() =>
      expect(chat.lastMessage).toMatchObject({ role: 'assistant', parts: [{ text: expect.any(String) }] }),
    );
    await chat.stop();
    await sending;

    const streamId = chat.lastMessage?.metadata?.streamId ?? '';
    let end: unknown;
    for await (const event of spool.stream(streamId)) end = event;
    expect(end).toMatchObject({ type: 'done', finishReason: 'stop' });
  });

  it("regenerate() asks Spool for a new answer to the same text (Spool's history then holds it twice)", async () => {
    const server = await startTestServer();
    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool });
    const chat = new TestChat({ id: 'chat', transport });
    await chat.sendMessage({ text: 'again, please' });
    const first = chat.lastMessage;
    await chat.regenerate();

    expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(chat.lastMessage?.id).not.toBe(first?.id);
    expect(chat.lastMessage?.metadata?.conversationId).toBe(first?.metadata?.conversationId);
    const conversationId = transport.conversationIdOf('chat') ?? '';
    const saved = await spool.trpc.listMessages.query({ conversationId, limit: 10 });
    expect(saved.items.filter((item) => item.role === 'user').map((item) => item.content)).toEqual([
      'again, please',
      'again, please',
    ]);
  });

  it("a provider failure ends the answer in error: the AI SDK's error, Spool's code in the metadata", async () => {
    const server = await startTestServer({ provider: rateLimitedModel });
    const onError = vi.fn();
    const chat = new TestChat({
      transport: new SpoolChatTransport({ client: spoolClient({ url: server.url }) }),
      onError,
    });
    await chat.sendMessage({ text: 'too fast' });

    expect(chat.status).toBe('error');
    expect(chat.error?.message).toBe('slow down');
    expect(onError).toHaveBeenCalledOnce();
    expect(textOf(chat.lastMessage)).toBe('Partly');
    expect(chat.lastMessage?.metadata?.error).toEqual({
      code: 'PROVIDER_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1_500,
    });
  });
});

describe('reconnectToStream', () => {
  it('after an interrupted read, replays the whole answer from its start; then there is nothing to resume', async () => {
    const server = await startTestServer(paced);
    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool });
    const reader = (await submit(transport, 'chat', [userMessage('in two reads')])).getReader();
    const firstRead: SpoolUIMessageChunk[] = [];
    while (firstRead.filter((chunk) => chunk.type === 'text-delta').length < 5) {
      const { done, value } = await reader.read();
      if (done) throw new Error('the answer ended early');
      firstRead.push(value);
    }
    await reader.cancel();

    const resumed = await transport.reconnectToStream({ chatId: 'chat' });
    if (!resumed) throw new Error('nothing to resume');
    const { chunks, stream } = recorded(resumed);
    const { message } = await finalMessage(stream);
    expect(chunks[0]).toEqual(firstRead[0]); // the same start: the same message id
    expect(textOf(message)).toBe(await fullText(spool, message.metadata?.streamId ?? ''));
    expect(deltas(chunks)).toHaveLength(paced.demoTokens);
    expect(await transport.reconnectToStream({ chatId: 'chat' })).toBeNull();
  });

  it("after a reload, resumeStream() rebuilds the chat's answer in place through storage", async () => {
    const server = await startTestServer(paced);
    const storage = memoryStorage();
    const before = new SpoolChatTransport({ client: spoolClient({ url: server.url }), storage });
    const user = userMessage('survive a reload');
    // The first page reads part of the answer, then goes away without stopping it.
    const partial: SpoolUIMessage[] = [];
    const stream = await submit(before, 'chat', [user]);
    for await (const snapshot of readUIMessageStream<SpoolUIMessage>({ stream })) {
      partial.push(snapshot);
      if (textOf(snapshot).length > 0 && partial.length > 5) break;
    }
    const shown = partial.at(-1);

    const spool = spoolClient({ url: server.url });
    const transport = new SpoolChatTransport({ client: spool, storage });
    const chat = new TestChat({ id: 'chat', transport, messages: [user as SpoolUIMessage, ...(shown ? [shown] : [])] });
    await chat.resumeStream();

    expect(chat.status).toBe('ready');
    expect(chat.messages.map((message) => message.id)).toEqual([user.id, shown?.id]);
    expect(textOf(chat.lastMessage)).toBe(await fullText(spool, chat.lastMessage?.metadata?.streamId ?? ''));
    expect(chat.lastMessage?.parts.filter((part) => part.type === 'text')).toHaveLength(1);
  });

  it('a connection that cannot be restored ends the read with an error chunk; resuming then picks the answer up', async () => {
    const server = await startTestServer(paced);
    const spool = spoolClient({ url: server.url, transport: 'ws', retry: { maxRetries: 0 } });
    const transport = new SpoolChatTransport({ client: spool });
    let dropped = false;
    const { chunks, stream } = recorded(await submit(transport, 'chat', [userMessage('no retries')]), (chunk) => {
      if (chunk.type !== 'text-delta' || dropped) return;
      dropped = true;
      spool.dropConnection();
    });
    const { message, errors } = await finalMessage(stream);
    expect(dropped).toBe(true);
    expect(errors).toHaveLength(1);
    expect(chunks.at(-1)?.type).toBe('error');
    expect(message.metadata?.error).toMatchObject({ code: 'CONNECTION_LOST', retryable: true });

    const resumed = await transport.reconnectToStream({ chatId: 'chat' });
    if (!resumed) throw new Error('nothing to resume');
    const replay = await finalMessage(resumed);
    expect(replay.errors).toEqual([]);
    expect(textOf(replay.message)).toBe(await fullText(spool, message.metadata?.streamId ?? ''));
    expect(deltas(chunks).length).toBeLessThan(paced.demoTokens);
  });

  it('returns null for a chat with nothing in progress: never sent, or its answer read to the end', async () => {
    const server = await startTestServer();
    const transport = new SpoolChatTransport({ client: spoolClient({ url: server.url }) });
    expect(await transport.reconnectToStream({ chatId: 'never' })).toBeNull();
    await finalMessage(await submit(transport, 'done', [userMessage('hi')]));
    expect(await transport.reconnectToStream({ chatId: 'done' })).toBeNull();
  });

  it('returns null for an answer Spool does not have, and forgets it', async () => {
    const server = await startTestServer();
    const storage = memoryStorage();
    const record = { conversationId: crypto.randomUUID(), streamId: crypto.randomUUID() };
    storage.setItem('spool:ai-sdk:chat', JSON.stringify(record));
    const transport = new SpoolChatTransport({ client: spoolClient({ url: server.url }), storage });
    expect(await transport.reconnectToStream({ chatId: 'chat' })).toBeNull();
    expect(JSON.parse(storage.getItem('spool:ai-sdk:chat') ?? '')).toEqual({ conversationId: record.conversationId });
  });
});
