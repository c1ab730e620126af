import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { AppRouter } from '../../src/trpc/router.ts';
import { startTestServer } from '../helpers/server.ts';
import { testAuth } from '../helpers/tokens.ts';

describe('WebSockets refused for their token', () => {
  it('tell a vanilla wsLink why (UNAUTHORIZED), and its reconnects back off instead of looping', async () => {
    const server = await startTestServer({ auth: testAuth });
    let sockets = 0;
    // tRPC's own client, as an app would make it (not lazy, tRPC's default backoff), counting its sockets.
    const Counted = class extends globalThis.WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets++;
      }
    };
    const ws = createWSClient({
      url: server.url.replace(/^http/, 'ws'),
      connectionParams: () => ({ token: 'not-a-jwt' }),
      WebSocket: Counted,
    });
    onTestFinished(() => ws.close());
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
    const error = await new Promise((resolve) => {
      client.stream.subscribe({ streamId: crypto.randomUUID() }, { onError: resolve });
    });
    expect(error).toMatchObject({ data: { code: 'UNAUTHORIZED', spoolCode: 'UNAUTHENTICATED' } });
    // Closed 1 s after each refusal; without tRPC's connection error, each reconnect would start the
    // backoff over at 0 ms (one socket a second); with it, the waits grow (2 s, 4 s, ...).
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(sockets).toBeLessThanOrEqual(2);
  });

  it('from one address past its budget are turned away with 429 before any work, and logged once with counts', async () => {
    const server = await startTestServer({ auth: testAuth });
    const warn = vi.spyOn(server.services.log, 'warn');
    const url = server.url.replace(/^http/, 'ws');
    const closes: Promise<number>[] = [];
    const turnedAway: string[] = [];
    for (let i = 0; i < 25; i++) {
      // No token at all: refused as the connection opens, with tRPC's connection error as its first message.
      const socket = new WebSocket(url);
      socket.on('error', () => 'the response or the close says what happened');
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      const outcome = await new Promise<string>((resolve) => {
        socket.once('message', (data) => resolve(String(data)));
        socket.once('unexpected-response', (_req, res) => {
          resolve(`${res.statusCode}, retry after ${res.headers['retry-after']}`);
          socket.terminate();
        });
      });
      if (outcome.startsWith('{')) {
        expect(JSON.parse(outcome)).toMatchObject({ id: null, error: { data: { code: 'UNAUTHORIZED' } } });
        closes.push(closed);
      } else turnedAway.push(outcome);
    }
    expect(await Promise.all(closes)).toEqual(Array(20).fill(4401));
    expect(turnedAway).toEqual(Array(5).fill('429, retry after 10'));

    await server.close();
    const lines = warn.mock.calls.filter(([, message]) => String(message).startsWith('refused WebSocket'));
    expect(lines).toEqual([[expect.objectContaining({ refused: 20, turnedAway: 5 }), expect.any(String)]]);
  });
});
