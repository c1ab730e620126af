import http from 'node:http';
import type net from 'node:net';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { AppRouter } from '../../src/trpc/router.ts';
import { connect, range, watch } from '../helpers/clients.ts';
import { sseUrl } from '../helpers/raw-wire.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

/** The `ws` client, remembering its sockets so the test can stop reading from them. */
class PausableWebSocket extends WebSocket {
  static readonly opened: PausableWebSocket[] = [];
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    PausableWebSocket.opened.push(this);
  }
  get tcp(): net.Socket {
    return (this as unknown as { _socket: net.Socket })._socket;
  }
}

/** A server that stops writing to a watcher past 4 KB unread, with answers far longer than that. */
function startSlowReaderServer(redisPrefix: string | undefined) {
  return startTestServer({ redisPrefix, demoTokens: 3_000, demoTokensPerSecond: 0, wsMaxBufferedBytes: 4 * 1024 });
}

describe.each([
  { store: 'in-process', redisPrefix: undefined },
  { store: 'Redis', redisPrefix: uniquePrefix() },
])('a client that stops reading ($store store)', ({ redisPrefix }) => {
  it('gets every event exactly once over WebSocket when it reads again, after the stream ended meanwhile', async () => {
    const server = await startSlowReaderServer(redisPrefix);
    const ws = createWSClient({
      url: server.url.replace(/^http/, 'ws'),
      WebSocket: PausableWebSocket as unknown as typeof globalThis.WebSocket,
    });
    onTestFinished(() => ws.close());
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
    const { streamId } = await client.sendMessage.mutate({ content: 'a long answer to a slow reader' });

    const firstEvent = Promise.withResolvers<void>();
    const events = watch(
      client,
      { streamId },
      {
        onEvent: (event) => {
          if (event.index > 0) return;
          PausableWebSocket.opened.at(-1)?.tcp.pause();
          firstEvent.resolve();
        },
      },
    );
    await firstEvent.promise;
    await vi.waitFor(async () => expect((await server.services.store.meta(streamId))?.status).toBe('ended'), {
      timeout: 10_000,
    });
    PausableWebSocket.opened.at(-1)?.tcp.resume();
    expect((await events).map((event) => event.index)).toEqual(range(0, 3_001));
  });

  it('gets every event exactly once over SSE when it reads again, after the stream ended meanwhile', async () => {
    const server = await startSlowReaderServer(redisPrefix);
    const { streamId } = await connect(server.url, 'ws').sendMessage.mutate({ content: 'a long answer, read late' });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(sseUrl(server.url, { streamId }), (res) => resolve(res)).on('error', reject),
    );
    onTestFinished(() => {
      response.destroy();
    });
    response.pause();
    await vi.waitFor(async () => expect((await server.services.store.meta(streamId))?.status).toBe('ended'), {
      timeout: 10_000,
    });
    let body = '';
    for await (const chunk of response) body += chunk;
    const indexes = [...body.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(indexes).toEqual(range(0, 3_001));
    expect(body).toMatch(/event: return\ndata: \n\n\n$/);
  });
});
