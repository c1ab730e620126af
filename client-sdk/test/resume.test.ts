import { describe, expect, it } from 'vitest';
import { range } from '../../server/test/helpers/clients.ts';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { startTcpProxy } from '../../server/test/helpers/tcp-proxy.ts';
import type { StreamStatus } from '../src/stream.ts';
import type { Transport } from '../src/transports.ts';
import { startHttpOnlyProxy } from './helpers/http-only-proxy.ts';
import { collect, fullText, indexes, lastSavedAnswer, reading, spoolClient } from './helpers/sdk.ts';

const answer = { demoTokens: 60, demoTokensPerSecond: 150 };

describe.each<Transport>(['ws', 'sse', 'auto'])('an answer over %s', (transport) => {
  it('streams in five lines: every text delta, then the whole answer as saved', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport });
    const reply = spool.chat('Why is the sky blue?');
    let streamed = '';
    for await (const text of reply) streamed += text;

    const result = await reply.result;
    expect(result).toMatchObject({ finishReason: 'stop', content: streamed, model: expect.stringContaining('demo') });
    expect(streamed).toBe(await fullText(spool, result.streamId));
    expect((await lastSavedAnswer(spool, result.conversationId))?.content).toBe(streamed);
    expect(await spool.activeTransport()).toBe(transport === 'sse' ? 'sse' : 'ws');
  });
});

describe.each<Exclude<Transport, 'auto'>>(['ws', 'sse'])('a dropped connection (%s)', (transport) => {
  it('killed by the server mid-stream: resumes by itself, every event once and in order', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport });
    const { streamId } = await spool.sendMessage({ content: 'keep going' });
    const statuses: StreamStatus[] = [];
    const events = await collect(spool.stream(streamId, { onStatus: (status) => statuses.push(status) }), (event) => {
      if (event.index === 10) server.dropConnections();
    });

    expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'streaming']);
    expect(events.map((event) => event.index)).toEqual(range(0, events.length - 1));
    expect(events.at(-1)?.type).toBe('done');
    expect(events.length).toBe(answer.demoTokens + 2);
  });

  it('cut at the network (TCP) mid-stream: resumes once the network is back, with the exact full text', async () => {
    const server = await startTestServer(answer);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    const spool = spoolClient({ url: `http://127.0.0.1:${proxy.port}/trpc`, transport });
    let cut = true;
    const reply = spool.chat('through a flaky network', {
      onToken: () => {
        if (!cut) return;
        cut = false;
        proxy.cut();
        // Back after a few refused reconnects.
        setTimeout(() => proxy.restore(), 150);
      },
    });
    const result = await reply.result;
    expect(cut).toBe(false);

    const direct = spoolClient({ url: server.url, transport });
    expect(result.content).toBe(await fullText(direct, result.streamId));
    expect(result.content.length).toBeGreaterThan(100);
  });
});

describe("'auto'", () => {
  it('takes SSE where the WebSocket upgrade is refused, and streams the whole answer over it', async () => {
    const server = await startTestServer(answer);
    const url = await startHttpOnlyProxy(new URL(server.url));
    const spool = spoolClient({ url, transport: 'auto' });

    const result = await spool.chat('behind a proxy').result;
    expect(await spool.activeTransport()).toBe('sse');
    expect(result.content).toBe(await fullText(spool, result.streamId));
  });
});

it('resumes from any index: a second client starting where the first stopped gets the rest, each once', async () => {
  const server = await startTestServer(answer);
  const spool = spoolClient({ url: server.url, transport: 'ws' });
  const { streamId } = await spool.sendMessage({ content: 'in two halves' });
  const first = [];
  for await (const event of spool.stream(streamId)) {
    first.push(event);
    if (event.index === 20) break;
  }
  const rest = await collect(spoolClient({ url: server.url, transport: 'sse' }).stream(streamId, { fromIndex: 21 }));
  expect([...first, ...rest].map((event) => event.index)).toEqual(range(0, answer.demoTokens + 1));
});

describe('connections that fail quietly or twice', () => {
  it('a WebSocket gone silent (half-open, no close) is noticed by its pings, replaced, and the stream finishes', async () => {
    const server = await startTestServer({ demoTokens: 60, demoTokensPerSecond: 10 });
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    const spool = spoolClient({
      url: `http://127.0.0.1:${proxy.port}/trpc`,
      transport: 'ws',
      keepAlive: { intervalMs: 300, pongTimeoutMs: 300 },
    });
    const { streamId } = await spool.sendMessage({ content: 'through a network that goes quiet' });
    const statuses: StreamStatus[] = [];
    const events = await collect(spool.stream(streamId, { onStatus: (status) => statuses.push(status) }), (event) => {
      if (event.index === 3) proxy.freeze();
    });
    expect(statuses).toContain('reconnecting');
    expect(events.map((event) => event.index)).toEqual(range(0, 61));
  });

  it.each<Exclude<Transport, 'auto'>>(['ws', 'sse'])(
    'one dropped %s connection is one failure: a single retry is enough',
    async (transport) => {
      const server = await startTestServer(answer);
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
      const url = `http://127.0.0.1:${proxy.port}/trpc`;
      const spool = spoolClient({ url, transport, retry: { maxRetries: 1, baseDelayMs: 50 } });
      const { streamId } = await spool.sendMessage({ content: 'one cut' });
      const events = await collect(spool.stream(streamId), (event) => {
        if (event.index !== 5) return;
        proxy.cut();
        proxy.restore();
      });
      expect(events.map((event) => event.index)).toEqual(range(0, answer.demoTokens + 1));
    },
  );

  it.each<Exclude<Transport, 'auto'>>(['ws', 'sse'])(
    'close() ends the streams still open (%s) with CLIENT_CLOSED, and refuses calls after it',
    async (transport) => {
      const server = await startTestServer(answer);
      const spool = spoolClient({ url: server.url, transport });
      const { streamId } = await spool.sendMessage({ content: 'close me' });
      const { seen, done } = reading(spool.stream(streamId), (event) => {
        if (event.index === 5) void spool.close();
      });
      await expect(done).rejects.toMatchObject({ name: 'SpoolError', code: 'CLIENT_CLOSED', retryable: false });
      expect(indexes(seen)).toEqual(range(0, 5));
      await expect(spool.sendMessage({ content: 'after' })).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    },
  );
});
