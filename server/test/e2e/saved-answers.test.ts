import { describe, expect, it } from 'vitest';
import { DemoProvider } from '../../src/generation/demo-provider.ts';
import type { ChatMessage, GenerationRequest } from '../../src/generation/provider.ts';
import { streamKeys } from '../../src/store/redis-keys.ts';
import { cancelAt, connect, lastSaved, textOf, watch } from '../helpers/clients.ts';
import { observeRedis, uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe('answers saved in PostgreSQL', () => {
  it('saves the user message and the whole answer, found saved as soon as `done` arrives', async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), demoTokens: 30 });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'save me', clientMessageId: 'c-1' });
    const events = await watch(client, { streamId: sent.streamId });
    const done = events.at(-1);
    expect(done).toMatchObject({ type: 'done', finishReason: 'stop' });

    const page = await client.listMessages.query({ conversationId: sent.conversationId });
    expect(page.nextCursor).toBeNull();
    const [answer, question] = page.items;
    expect(question).toMatchObject({
      id: sent.userMessageId,
      role: 'user',
      content: 'save me',
      status: 'complete',
      clientMessageId: 'c-1',
    });
    expect(answer).toMatchObject({
      id: sent.assistantMessageId,
      role: 'assistant',
      status: 'complete',
      streamId: sent.streamId,
      content: textOf(events),
      finishReason: 'stop',
      usage: done?.type === 'done' ? done.usage : 'no usage',
      errorCode: null,
    });
    expect(answer?.usage?.completionTokens).toBe(30);
    const conversations = await client.listConversations.query({});
    expect(conversations.items).toEqual([expect.objectContaining({ id: sent.conversationId, title: 'save me' })]);
  });

  it('saves a cancelled answer as cancelled, with the text it had', async () => {
    const server = await startTestServer({ demoTokens: 1_000, demoTokensPerSecond: 200 });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'cut me short' });
    const cancel = cancelAt(client, sent.streamId, 5);
    const events = await watch(client, { streamId: sent.streamId }, { onEvent: cancel.onEvent });
    await cancel.settled();
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'cancelled' });
    const answer = await lastSaved(client, sent.conversationId);
    expect(answer).toMatchObject({ status: 'cancelled', finishReason: 'cancelled', content: textOf(events) });
    expect(answer?.content.length).toBeGreaterThan(0);
  });

  it('makes the same few queries for a 500-token answer as for a 5-token one: none per token', async () => {
    const queriesFor = async (tokens: number) => {
      let queries = 0;
      const server = await startTestServer({ demoTokens: tokens, onQuery: () => queries++ });
      await server.services.recovery.runNow();
      const client = connect(server.url, 'ws');
      const before = queries;
      const sent = await client.sendMessage.mutate({ content: `${tokens} tokens` });
      const events = await watch(client, { streamId: sent.streamId });
      expect(events.filter((event) => event.type === 'token')).toHaveLength(tokens);
      return queries - before;
    };
    const few = await queriesFor(5);
    const many = await queriesFor(500);
    expect(many).toBe(few);
    // One statement for the conversation and both messages, one UPDATE for the final answer.
    expect(many).toBe(2);
  });

  it('gives the model the conversation so far, from the cache once it is warm', async () => {
    const seen: ChatMessage[][] = [];
    const demo = new DemoProvider({ tokens: 3, tokensPerSecond: 0 });
    const provider = {
      defaultModel: demo.defaultModel,
      models: demo.models,
      stream(request: GenerationRequest) {
        seen.push(request.messages);
        return demo.stream(request);
      },
    };
    const selects: string[] = [];
    const server = await startTestServer({
      redisPrefix: uniquePrefix(),
      provider,
      onQuery: (sql) => {
        if (/^select/i.test(sql)) selects.push(sql);
      },
    });
    const client = connect(server.url, 'ws');
    const ask = async (content: string, conversationId?: string) => {
      const sent = await client.sendMessage.mutate({ content, conversationId });
      return { sent, answer: textOf(await watch(client, { streamId: sent.streamId })) };
    };

    const one = await ask('first question');
    const two = await ask('second question', one.sent.conversationId);
    selects.length = 0;
    await ask('third question', one.sent.conversationId);

    expect(seen[1]).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: one.answer },
      { role: 'user', content: 'second question' },
    ]);
    expect(seen[2]).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: one.answer },
      { role: 'user', content: 'second question' },
      { role: 'assistant', content: two.answer },
      { role: 'user', content: 'third question' },
    ]);
    expect(selects).toEqual([]);
  });

  it('streams, saves and replays the same text when the model or the user sends a lone surrogate or NUL', async () => {
    const odd = 'nul\u0000, lone \ud800 and \udc00, a pair \ud83d\ude00';
    const normal = 'nul\uFFFD, lone \uFFFD and \uFFFD, a pair \ud83d\ude00';
    const demo = new DemoProvider({ tokens: 1, tokensPerSecond: 0 });
    const provider = {
      defaultModel: demo.defaultModel,
      models: demo.models,
      async *stream() {
        yield { type: 'text' as const, text: odd };
        yield { type: 'text' as const, text: '!' };
        yield { type: 'finish' as const, finishReason: 'stop' as const, usage: null };
      },
    };
    const prefix = uniquePrefix();
    const server = await startTestServer({ provider, redisPrefix: prefix });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: `the user's ${odd}` });
    const live = await watch(client, { streamId: sent.streamId });
    expect(textOf(live)).toBe(`${normal}!`);
    const [answer, question] = (await client.listMessages.query({ conversationId: sent.conversationId })).items;
    expect(answer).toMatchObject({ status: 'complete', content: `${normal}!` });
    expect(question?.content).toBe(`the user's ${normal}`);
    // Replayed from PostgreSQL once the log is gone: the very same events.
    const redis = await observeRedis(prefix);
    const keys = streamKeys(prefix, sent.streamId);
    await redis.redis.del(keys.log, keys.meta);
    expect(await watch(client, { streamId: sent.streamId })).toEqual(live);
  });
});
