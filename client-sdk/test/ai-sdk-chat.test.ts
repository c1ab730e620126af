import { describe, expect, it, vi } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { SpoolChatTransport } from '../src/ai-sdk/index.ts';
import { TestChat, textOf } from './helpers/ai-sdk.ts';
import { rateLimitedModel } from './helpers/models.ts';
import { fullText, lastSavedAnswer, spoolClient } from './helpers/sdk.ts';

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
