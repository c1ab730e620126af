import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { OpenAIProviderOptions } from '../../src/generation/openai-provider.ts';
import { cancelAt, connect, lastSaved, type Transport, textOf, watch } from '../helpers/clients.ts';
import { type FakeOpenAI, type Reply, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer, startTwoServers } from '../helpers/server.ts';

function openaiOptions(fake: FakeOpenAI, overrides: Partial<OpenAIProviderOptions> = {}): OpenAIProviderOptions {
  return {
    apiKey: 'sk-test',
    baseURL: fake.baseURL,
    defaultModel: 'fake-model',
    models: ['fake-model', 'other-model'],
    maxRetries: 0,
    firstTokenMs: 2_000,
    idleMs: 2_000,
    ...overrides,
  };
}

describe.each<Transport>(['ws', 'sse'])('answers from an OpenAI-compatible server (%s)', (transport) => {
  it('streams the tokens, ends with usage and timings, and saves the answer', async () => {
    const fake = await startFakeOpenAI();
    const server = await startTestServer({ openai: openaiOptions(fake) });
    const client = connect(server.url, transport);
    const sent = await client.sendMessage.mutate({ content: 'hi there' });
    const events = await watch(client, { streamId: sent.streamId });

    expect(events[0]).toMatchObject({ type: 'start', model: 'fake-model' });
    expect(textOf(events)).toBe('Hello from the fake model.');
    const done = events.at(-1);
    expect(done).toMatchObject({
      type: 'done',
      finishReason: 'stop',
      usage: { promptTokens: 7, completionTokens: 5, totalTokens: 12 },
      timings: { firstTokenMs: expect.any(Number), durationMs: expect.any(Number) },
    });
    expect(fake.requests[0]).toMatchObject({
      model: 'fake-model',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi there' }],
    });
    expect(await lastSaved(client, sent.conversationId)).toMatchObject({
      status: 'complete',
      content: 'Hello from the fake model.',
      usage: { totalTokens: 12 },
    });
  });
});

describe('what reaches the model', () => {
  it('is the conversation so far plus the new message, in the model the caller picked', async () => {
    const fake = await startFakeOpenAI();
    const server = await startTestServer({ redisPrefix: uniquePrefix(), openai: openaiOptions(fake) });
    const client = connect(server.url, 'ws');
    const first = await client.sendMessage.mutate({ content: 'first' });
    await watch(client, { streamId: first.streamId });
    const second = await client.sendMessage.mutate({
      content: 'second',
      conversationId: first.conversationId,
      model: 'other-model',
    });
    await watch(client, { streamId: second.streamId });
    expect(fake.requests[1]).toMatchObject({
      model: 'other-model',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'Hello from the fake model.' },
        { role: 'user', content: 'second' },
      ],
    });
    await expect(client.sendMessage.mutate({ content: 'x', model: 'gpt-unlisted' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });
});

describe('connections to the model server', () => {
  it('are kept open and reused: answers one after another, and a burst, open no connection per answer', async () => {
    const fake = await startFakeOpenAI();
    const server = await startTestServer({ openai: openaiOptions(fake), maxStreamsPerUser: 100 });
    const client = connect(server.url, 'ws');
    for (let i = 0; i < 5; i++) {
      const sent = await client.sendMessage.mutate({ content: `one after another ${i}` });
      expect((await watch(client, { streamId: sent.streamId })).at(-1)).toMatchObject({ type: 'done' });
    }
    expect(fake.connections).toBe(1);
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.sendMessage.mutate({ content: `at once ${i}` })),
    );
    for (const sent of burst) await watch(client, { streamId: sent.streamId });
    expect(fake.requests).toHaveLength(25);
    // At most one connection per answer in flight at once; a second burst reuses them all.
    const afterBurst = fake.connections;
    expect(afterBurst).toBeLessThanOrEqual(21);
    const again = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.sendMessage.mutate({ content: `again ${i}` })),
    );
    for (const sent of again) await watch(client, { streamId: sent.streamId });
    expect(fake.connections).toBe(afterBurst);
    // Idle past fetch's default keep-alive (4 s): the next answer still finds its connection open.
    await sleep(4_500);
    const later = await client.sendMessage.mutate({ content: 'after a pause' });
    await watch(client, { streamId: later.streamId });
    expect(fake.connections).toBe(afterBurst);
  });
});

describe.each<Transport>(['ws', 'sse'])('every upstream failure (%s)', (transport) => {
  const longPage = `<html>${'x'.repeat(5_000)}</html>`;
  const cases: [string, Reply, { code: string; retryable: boolean; retryAfterMs?: number }, string][] = [
    ['401', { status: 401 }, { code: 'PROVIDER_AUTH', retryable: false }, ''],
    ['403', { status: 403 }, { code: 'PROVIDER_AUTH', retryable: false }, ''],
    ['404 model', { status: 404 }, { code: 'MODEL_NOT_FOUND', retryable: false }, ''],
    [
      '404 with a long HTML page',
      { status: 404, errorBody: longPage },
      { code: 'MODEL_NOT_FOUND', retryable: false },
      '',
    ],
    ['413', { status: 413 }, { code: 'PROVIDER_REJECTED', retryable: false }, ''],
    [
      '429 with retry-after',
      { status: 429, headers: { 'retry-after': '7' } },
      { code: 'PROVIDER_RATE_LIMITED', retryable: true, retryAfterMs: 7_000 },
      '',
    ],
    ['500', { status: 500 }, { code: 'PROVIDER_ERROR', retryable: true }, ''],
    [
      'a malformed chunk',
      { malformedAfterTokens: 2 },
      { code: 'PROVIDER_BAD_RESPONSE', retryable: false },
      'Hello from',
    ],
    ['an error inside the stream', { errorAfterTokens: 2 }, { code: 'PROVIDER_ERROR', retryable: true }, 'Hello from'],
    [
      'a connection cut mid-answer',
      { cutAfterTokens: 2 },
      { code: 'PROVIDER_CONNECTION_LOST', retryable: true },
      'Hello from',
    ],
    [
      'a clean close mid-answer',
      { endAfterTokens: 2 },
      { code: 'PROVIDER_CONNECTION_LOST', retryable: true },
      'Hello from',
    ],
    ['no response in time', { headersDelayMs: 1_000 }, { code: 'PROVIDER_TIMEOUT', retryable: true }, ''],
    ['no first token in time', { firstTokenDelayMs: 1_000 }, { code: 'PROVIDER_TIMEOUT', retryable: true }, ''],
    ['no chunk for the idle time', { hangAfterTokens: 2 }, { code: 'PROVIDER_TIMEOUT', retryable: true }, 'Hello from'],
  ];

  it.each(cases)(
    '%s ends the stream with one typed error and saves the partial text',
    async (_name, reply, expected, partial) => {
      const fake = await startFakeOpenAI();
      fake.reply(reply);
      const server = await startTestServer({ openai: openaiOptions(fake, { firstTokenMs: 300, idleMs: 300 }) });
      const client = connect(server.url, transport);
      const sent = await client.sendMessage.mutate({ content: 'trouble' });
      const events = await watch(client, { streamId: sent.streamId });

      expect(events.filter((event) => event.type === 'error' || event.type === 'done')).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: 'error', ...expected });
      expect(textOf(events)).toBe(partial);
      expect(await lastSaved(client, sent.conversationId)).toMatchObject({
        status: 'failed',
        errorCode: expected.code,
        content: partial,
      });
      await vi.waitFor(() => expect(fake.open).toBe(0));
      await vi.waitFor(() => expect(server.services.generations.size).toBe(0));
    },
  );
});

describe('an answer from a server that sends usage without choices', () => {
  it('is complete, with its usage', async () => {
    const fake = await startFakeOpenAI();
    fake.reply({ usageWithoutChoices: true });
    const server = await startTestServer({ openai: openaiOptions(fake) });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'usage please' });
    const events = await watch(client, { streamId: sent.streamId });
    expect(events.at(-1)).toMatchObject({ type: 'done', usage: { totalTokens: 12 } });
  });
});

describe('retries', () => {
  const cases: [string, Reply[], Partial<OpenAIProviderOptions>, Record<string, unknown>, string | null, number][] = [
    [
      'retries a failure before the first token',
      [{ status: 503 }],
      {},
      { type: 'done' },
      'Hello from the fake model.',
      2,
    ],
    [
      'gives up with the upstream answer, not a timeout, when a retry would not fit the first-token budget',
      [
        { status: 429, headers: { 'retry-after': '1' } },
        { status: 429, headers: { 'retry-after': '1' } },
      ],
      { firstTokenMs: 1_500 },
      { type: 'error', code: 'PROVIDER_RATE_LIMITED', retryAfterMs: 1_000 },
      null,
      2,
    ],
    [
      'reports the last upstream failure once its retries are spent',
      [{ status: 500 }, { status: 500 }, { status: 500 }],
      {},
      { type: 'error', code: 'PROVIDER_ERROR', retryable: true },
      null,
      3,
    ],
    [
      'never retries once tokens have gone out: no duplicated text',
      [{ cutAfterTokens: 2 }],
      {},
      { type: 'error', code: 'PROVIDER_CONNECTION_LOST' },
      'Hello from',
      1,
    ],
  ];

  it.each(cases)('%s', async (_name, replies, overrides, last, text, requests) => {
    const fake = await startFakeOpenAI();
    fake.reply(...replies);
    const server = await startTestServer({ openai: openaiOptions(fake, { maxRetries: 2, ...overrides }) });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'retry or not' });
    const events = await watch(client, { streamId: sent.streamId });
    expect(events.at(-1)).toMatchObject(last);
    if (text !== null) expect(textOf(events)).toBe(text);
    expect(fake.requests).toHaveLength(requests);
  });
});

describe('cancel and disconnect', () => {
  const slow: Reply = { tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), tokenDelayMs: 20 };

  it('cancel through a second instance aborts the upstream request and saves the partial text as cancelled', async () => {
    const fake = await startFakeOpenAI();
    fake.reply(slow);
    const { a, b } = await startTwoServers({ openai: openaiOptions(fake) });
    const onA = connect(a.url, 'ws');
    const onB = connect(b.url, 'sse');
    const sent = await onA.sendMessage.mutate({ content: 'long answer' });
    const cancel = cancelAt(onB, sent.streamId, 3);
    const events = await watch(onA, { streamId: sent.streamId }, { onEvent: cancel.onEvent });
    await cancel.settled();
    expect(events.at(-1)).toMatchObject({
      type: 'done',
      finishReason: 'cancelled',
      timings: { firstTokenMs: expect.any(Number) },
    });
    expect(events.length).toBeLessThan(100);
    await vi.waitFor(() => expect(fake.open).toBe(0));
    expect(await lastSaved(onB, sent.conversationId)).toMatchObject({ status: 'cancelled', content: textOf(events) });
  });

  it('a client that disconnects mid-answer does not stop it: the answer completes and is saved', async () => {
    const fake = await startFakeOpenAI();
    fake.reply({ ...slow, tokens: slow.tokens?.slice(0, 20) });
    const server = await startTestServer({ openai: openaiOptions(fake) });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'keep going' });
    await watch(client, { streamId: sent.streamId }, { leaveAfterIndex: 2 });
    server.dropConnections();
    await vi.waitFor(async () => expect((await lastSaved(client, sent.conversationId))?.status).toBe('complete'), {
      timeout: 5_000,
    });
    expect((await lastSaved(client, sent.conversationId))?.content).toBe(slow.tokens?.slice(0, 20).join(''));
  });
});
