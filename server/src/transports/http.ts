import http from 'node:http';
import type { AnyRouter } from '@trpc/server';
import { type CreateHTTPContextOptions, createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import { originAllowed } from '../limits/origins.ts';
import type { SpoolContext } from '../trpc/init.ts';
import { chatPageHandler } from './chat-page.ts';

export const trpcPath = '/trpc';

export interface HttpTransportOptions {
  router: AnyRouter;
  createContext: (options: CreateHTTPContextOptions) => Promise<SpoolContext>;
  log: Logger;
  /** Largest request body a client may send. */
  maxBodyBytes: number;
  /** Browser origins allowed; undefined: any. */
  allowedOrigins: readonly string[] | undefined;
  /** The chat page's built files, served at `/`; undefined: none. */
  webDir: string | undefined;
}

/**
 * Queries, mutations and SSE subscriptions (for `httpSubscriptionLink`) under `/trpc`, `/healthz`,
 * and the chat page at `/`.
 * The WebSocket transport shares this server's port (see `ws.ts`).
 */
export function createHttpServer(options: HttpTransportOptions): http.Server {
  const trpc = createHTTPHandler({
    router: options.router,
    basePath: `${trpcPath}/`,
    createContext: options.createContext,
    maxBodySize: options.maxBodyBytes,
    onError: ({ error, path, type }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') options.log.error({ err: error, path, type }, 'procedure failed');
    },
  });
  const chatPage = chatPageHandler(options.webDir, options.log);
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith(`${trpcPath}/`)) {
      if (!originAllowed(req, options.allowedOrigins)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed\n');
        return;
      }
      // Proxies such as nginx buffer responses; SSE must reach the client event by event.
      res.setHeader('X-Accel-Buffering', 'no');
      trpc(req, res);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else {
      chatPage(req, res);
    }
  });
}
