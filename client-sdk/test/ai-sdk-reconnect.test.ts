import { readUIMessageStream } from 'ai';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { SpoolChatTransport, type SpoolUIMessage, type SpoolUIMessageChunk } from '../src/ai-sdk/index.ts';
import {
  deltas,
  finalMessage,
  memoryStorage,
  paced,
  recorded,
  submit,
  TestChat,
  textOf,
  userMessage,
} from './helpers/ai-sdk.ts';
import { fullText, spoolClient } from './helpers/sdk.ts';

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
