import type http from 'node:http';
import type net from 'node:net';
import { SpoolErrorCode } from '@spool/shared';
import type { AnyRouter } from '@trpc/server';
import type { Logger } from 'pino';
import { SpoolError, toTRPCError } from '../errors.ts';
import { FrameBudget, type FrameBudgetLimits } from '../limits/frame-budget.ts';
import { refusalErrorShape } from './trpc-wire.ts';

/** Seconds a client cut off for sending too much is told to wait. */
const retryAfterSeconds = 1;

/**
 * What one HTTP connection may send per second (requests, and body bytes as their headers declare
 * them), checked before a body is read or a token verified. Past it, each request on the connection
 * is answered with a 429 made once at start (tRPC's error shape, `RATE_LIMITED`, `Retry-After`), the
 * connection is closed after it, and one line is logged per connection: the SSE and HTTP side of the
 * WebSocket frame budget.
 */
export function httpRequestBudget(router: AnyRouter, limits: FrameBudgetLimits, log: Logger) {
  const budgets = new WeakMap<net.Socket, FrameBudget | 'cut'>();
  const message = `too many requests on one connection: at most ${limits.framesPerSecond} requests and ${limits.bytesPerSecond} bytes a second; retry after ${retryAfterSeconds} s`;
  const shape = refusalErrorShape(router, toTRPCError(new SpoolError(SpoolErrorCode.rateLimited, message)));
  const single = Buffer.from(JSON.stringify({ error: shape }));
  const headers = {
    'content-type': 'application/json',
    'retry-after': String(retryAfterSeconds),
    connection: 'close',
  };
  /** True when the request may go on; otherwise it has been answered. */
  return function withinBudget(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    let budget = budgets.get(req.socket);
    if (budget === undefined) {
      budget = new FrameBudget(limits);
      budgets.set(req.socket, budget);
    }
    if (budget !== 'cut' && budget.take(Number(req.headers['content-length']) || 0)) return true;
    if (budget !== 'cut') {
      budgets.set(req.socket, 'cut');
      log.warn(
        { address: req.socket.remoteAddress, ...limits },
        'closed an HTTP connection that sent more than its budget',
      );
    }
    const calls = batchSize(req);
    res
      .writeHead(429, headers)
      .end(calls === undefined ? single : `[${Array(calls).fill(single.toString()).join(',')}]`);
    return false;
  };
}

/** How many calls a tRPC batch request carries (`?batch=1`, paths joined by commas); undefined: not a batch. */
function batchSize(req: http.IncomingMessage): number | undefined {
  const url = req.url ?? '';
  if (!/[?&]batch=1(&|$)/.test(url)) return undefined;
  const path = url.slice(0, url.indexOf('?')).split('/').pop() ?? '';
  return path.split(',').length;
}
