import type { FinishReason } from '@spool/shared';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { createSpoolChatTransport, SpoolChatTransport } from '../src/ai-sdk/index.ts';
import { SpoolError } from '../src/errors.ts';
import type { Transport } from '../src/transports.ts';
import {
  deltas,
  finalMessage,
  finishingModel,
  paced,
  recorded,
  submit,
  textOf,
  userMessage,
} from './helpers/ai-sdk.ts';
import { fullText, lastSavedAnswer, spoolClient } from './helpers/sdk.ts';

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
