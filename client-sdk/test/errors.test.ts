import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { startTcpProxy } from '../../server/test/helpers/tcp-proxy.ts';
import { testAuth, tokenFor } from '../../server/test/helpers/tokens.ts';
import { SpoolError } from '../src/errors.ts';
import type { Transport } from '../src/transports.ts';
import { rateLimitedModel } from './helpers/models.ts';
import { collect, indexes, reading, spoolClient } from './helpers/sdk.ts';

describe.each<Exclude<Transport, 'auto'>>(['ws', 'sse'])('typed errors (%s)', (transport) => {
  it('a stream that does not exist: STREAM_NOT_FOUND, thrown at once, not retried', async () => {
    const server = await startTestServer();
    const spool = spoolClient({ url: server.url, transport });
    const error = await collect(spool.stream(randomUUID())).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpoolError);
    expect(error).toMatchObject({ code: 'STREAM_NOT_FOUND', retryable: false });
  });

  it('bad input: INVALID_INPUT from sendMessage', async () => {
    const server = await startTestServer();
    const spool = spoolClient({ url: server.url, transport });
    await expect(spool.sendMessage({ content: '   ' })).rejects.toMatchObject({
      name: 'SpoolError',
      code: 'INVALID_INPUT',
      retryable: false,
    });
  });

  it('a bad token: UNAUTHENTICATED, for calls and streams alike', async () => {
    const server = await startTestServer({ auth: testAuth });
    const good = spoolClient({ url: server.url, transport, token: await tokenFor('ada') });
    const { streamId } = await good.sendMessage({ content: 'mine' });
    const bad = spoolClient({ url: server.url, transport, token: 'not-a-jwt', requestTimeoutMs: 2_000 });

    await expect(bad.sendMessage({ content: 'let me in' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(collect(bad.stream(streamId))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
  });

  it('an answer that fails: its error event ends the stream; chat() rejects with its code and retry hint', async () => {
    const server = await startTestServer({ provider: rateLimitedModel });
    const spool = spoolClient({ url: server.url, transport });
    const tokens: string[] = [];
    const reply = spool.chat('hello', { onToken: (text) => tokens.push(text) });

    await expect(reply.result).rejects.toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1_500,
    });
    expect(tokens).toEqual(['Partly']);
    const events = await collect(spool.stream((await reply.sent).streamId));
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'PROVIDER_RATE_LIMITED' });
  });

  it('a server gone for good: the stream gives up after its attempts with CONNECTION_LOST', async () => {
    const server = await startTestServer({ demoTokens: 50, demoTokensPerSecond: 100 });
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    const spool = spoolClient({
      url: `http://127.0.0.1:${proxy.port}/trpc`,
      transport,
      retry: { maxRetries: 3, baseDelayMs: 10, maxDelayMs: 20 },
    });
    const { streamId } = await spool.sendMessage({ content: 'into the void' });
    const { seen, done } = reading(spool.stream(streamId), (event) => {
      if (event.index === 3) proxy.cut();
    });
    await expect(done).rejects.toMatchObject({ name: 'SpoolError', code: 'CONNECTION_LOST', retryable: true });
    expect(indexes(seen).slice(0, 4)).toEqual([0, 1, 2, 3]);
  });
});

describe('cancel and watch', () => {
  it('cancel() stops the answer: chat() resolves with finishReason cancelled and the partial text', async () => {
    const server = await startTestServer({ demoTokens: 200, demoTokensPerSecond: 100 });
    const spool = spoolClient({ url: server.url });
    let cancelling: Promise<void> | undefined;
    const reply = spool.chat('a long one', {
      onToken: () => {
        cancelling ??= reply.cancel();
      },
    });
    const result = await reply;
    await cancelling;
    expect(result.finishReason).toBe('cancelled');
    expect(result.content.length).toBeGreaterThan(0);
  });

  it('watch() calls onToken for each token and onDone once, and its returned function stops it', async () => {
    const server = await startTestServer({ demoTokens: 30 });
    const spool = spoolClient({ url: server.url, transport: 'sse' });
    const { streamId } = await spool.sendMessage({ content: 'with callbacks' });
    const tokens: string[] = [];
    const done = await new Promise((resolve, reject) => {
      spool.watch(streamId, { onToken: (text) => tokens.push(text), onDone: resolve, onError: reject });
    });
    expect(done).toMatchObject({ type: 'done', finishReason: 'stop' });
    expect(tokens).toHaveLength(30);

    const stopped: unknown[] = [];
    const stop = spool.watch(streamId, {
      onEvent: (event) => stopped.push(event),
      onError: (error) => stopped.push(error),
    });
    stop();
    const after = await collect(spool.stream(streamId, { fromIndex: 31 }));
    expect(after).toHaveLength(1);
    expect(stopped).toEqual([]);
  });

  it('an aborted stream() throws the signal’s reason and leaves the answer running', async () => {
    const server = await startTestServer({ demoTokens: 40, demoTokensPerSecond: 200 });
    const spool = spoolClient({ url: server.url });
    const { streamId } = await spool.sendMessage({ content: 'abort me' });
    const controller = new AbortController();
    const { done } = reading(spool.stream(streamId, { signal: controller.signal }), (event) => {
      if (event.index === 2) controller.abort(new Error('enough'));
    });
    await expect(done).rejects.toThrow('enough');
    const events = await collect(spool.stream(streamId));
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
  });
});
