import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { SpoolServer } from '../../src/app.ts';
import { createAuthenticator } from '../../src/auth/authenticator.ts';
import { loadConfig } from '../../src/config.ts';
import { createHttpContext, createWsContext } from '../../src/trpc/context.ts';

/**
 * Spool's router served by tRPC's own adapters alone (no fast path), on port 0, sharing the Spool
 * server's services: what a vanilla tRPC deployment would put on the wire for the same events.
 */
export async function startGenericTrpc(spool: SpoolServer): Promise<string> {
  const { router, connections } = spool.services;
  const auth = createAuthenticator(loadConfig({}).auth);
  const trpc = createHTTPHandler({ router, basePath: '/trpc/', createContext: createHttpContext(auth) });
  const server = http.createServer((req, res) => {
    // As Spool's own HTTP server does for everything under /trpc (transports/http.ts).
    res.setHeader('X-Accel-Buffering', 'no');
    trpc(req, res);
  });
  const wss = new WebSocketServer({ server });
  applyWSSHandler({ wss, router, createContext: createWsContext(auth, 1 << 20, connections) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
}

/**
 * The text frames a raw WebSocket receives after sending `requests` (one frame each: a string as it
 * is, anything else as JSON), until `done` says the exchange is over (or `timeoutMs`, which fails).
 */
export async function wsFrames(
  url: string,
  requests: unknown[],
  done: (frames: string[]) => boolean,
  timeoutMs = 5_000,
): Promise<string[]> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'));
  const frames: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no end after ${timeoutMs} ms: ${frames.join('\n')}`)),
        timeoutMs,
      );
      socket.on('error', reject);
      socket.on('open', () => {
        for (const request of requests) socket.send(typeof request === 'string' ? request : JSON.stringify(request));
      });
      socket.on('message', (data) => {
        frames.push(data.toString());
        if (done(frames)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    socket.terminate();
  }
  return frames;
}

/** An SSE response's status, tRPC's headers and whole body, for a stream that ends by itself. */
export async function sseResponse(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  const picked = ['content-type', 'cache-control', 'x-accel-buffering', 'connection', 'vary'].map(
    (name) => `${name}: ${response.headers.get(name)}`,
  );
  return { status: response.status, headers: picked, body: await response.text() };
}

/** `…/trpc/stream?input=…` as `httpSubscriptionLink` builds it. */
export function sseUrl(base: string, input: unknown, extra = ''): string {
  return `${base}/stream?input=${encodeURIComponent(JSON.stringify(input))}${extra}`;
}
