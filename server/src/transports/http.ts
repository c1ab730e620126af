import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AnyRouter } from '@trpc/server';
import { type CreateHTTPContextOptions, createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Readiness } from '../health/readiness.ts';
import type { FrameBudgetLimits } from '../limits/frame-budget.ts';
import { originAllowed } from '../limits/origins.ts';
import type { SpoolContext } from '../trpc/init.ts';
import { chatPageHandler } from './chat-page.ts';
import { httpRequestBudget } from './http-budget.ts';
import type { ProcedureErrors } from './procedure-errors.ts';
import type { SseStreams } from './sse-streams.ts';

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
  /** `stream` over SSE on the fast path; what it leaves goes to tRPC. */
  streams: SseStreams;
  /** What one connection may send per second (requests, body bytes); past it, 429 and the connection is closed. */
  requestBudget: FrameBudgetLimits;
  /** `/readyz`; while draining, every response also closes its connection, so clients reconnect elsewhere. */
  readiness: Readiness;
  /** Where failed procedures are reported (logs, refusal counts). */
  errors: ProcedureErrors;
  /** `/metrics`: its text (Prometheus format), and the bearer token it asks for (undefined: none). */
  metrics: { text: () => Promise<string>; token: string | undefined };
  /** False for a generation worker: only the health, readiness and metrics endpoints. */
  serveApi: boolean;
}

/**
 * Queries, mutations and SSE subscriptions (for `httpSubscriptionLink`; `stream` on the fast path) under `/trpc`,
 * `/healthz` (the process lives), `/readyz` (it should get traffic), and the chat page at `/`.
 * The WebSocket transport shares this server's port (see `ws.ts`).
 */
export function createHttpServer(options: HttpTransportOptions): http.Server {
  const trpc = createHTTPHandler({
    router: options.router,
    basePath: `${trpcPath}/`,
    createContext: options.createContext,
    maxBodySize: options.maxBodyBytes,
    onError: ({ error, path, type, ctx }) => options.errors.report({ error, path, type, userId: ctx?.userId }),
  });
  const chatPage = chatPageHandler(options.webDir, options.log);
  const withinBudget = httpRequestBudget(options.router, options.requestBudget, options.log);
  const { readiness } = options;
  return http.createServer((req, res) => {
    if (readiness.draining) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0];
    if (options.serveApi && path?.startsWith(`${trpcPath}/`)) {
      if (!withinBudget(req, res)) return;
      if (!originAllowed(req, options.allowedOrigins)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed\n');
        return;
      }
      // Proxies such as nginx buffer responses; SSE must reach the client event by event.
      res.setHeader('X-Accel-Buffering', 'no');
      if (!options.streams.handle(req, res)) trpc(req, res);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else if (path === '/metrics') {
      serveMetrics(req, res, options.metrics);
    } else if (path === '/readyz') {
      readiness.check().then((report) => {
        res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      });
    } else {
      chatPage(req, res);
    }
  });
}

/** Prometheus text; with a token configured, only for a request that carries it. */
function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse, metrics: HttpTransportOptions['metrics']) {
  if (metrics.token !== undefined && !sameSecret(req.headers.authorization ?? '', `Bearer ${metrics.token}`)) {
    res
      .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
      .end('a bearer token is needed\n');
    return;
  }
  metrics.text().then(
    (text) => res.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE }).end(text),
    (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
  );
}

/** Compared in constant time: how long a refusal takes says nothing of the token. */
function sameSecret(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}
