import type http from 'node:http';
import { webSocketCloseCodes } from '@spool/shared';
import type { AnyRouter, TRPCError } from '@trpc/server';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { FrameBudget, type FrameBudgetLimits } from '../limits/frame-budget.ts';
import { originAllowed } from '../limits/origins.ts';
import type { RefusedSources } from '../limits/refused-sources.ts';
import { UserFrameBudgets } from '../limits/user-frame-budgets.ts';
import type { SpoolContext } from '../trpc/init.ts';
import type { FastStreamDeps } from './fast-streams.ts';
import { trpcPath } from './http.ts';
import type { ProcedureErrors } from './procedure-errors.ts';
import { wsConnectionError } from './trpc-wire.ts';
import { tcpSocketOf } from './ws-frames.ts';
import { StreamingWebSocket } from './ws-streams.ts';

export interface WsTransportOptions {
  server: http.Server;
  router: AnyRouter;
  createContext: (options: CreateWSSContextFnOptions) => Promise<SpoolContext>;
  log: Logger;
  /** Largest message a client may send. */
  maxPayloadBytes: number;
  /** How often each socket is pinged; one that does not answer within min(5 s, this) is closed. */
  pingMs: number;
  /** Browser origins allowed to open a socket; undefined: any. */
  allowedOrigins: readonly string[] | undefined;
  /** `stream` subscriptions on the fast path (`ws-streams.ts`); the rest goes to tRPC. */
  streams: FastStreamDeps;
  /** Connections refused for their token, per address: past the budget, upgrades are turned away. */
  refusals: RefusedSources;
  /** What one connection, and one user across their connections, may send per second; past it, the connection is closed. */
  frameBudget: FrameBudgetLimits;
  /** Where failed procedures are reported (logs, refusal counts). */
  errors: ProcedureErrors;
}

export interface WsTransport {
  /** Closes every socket at once, as a network failure would: the clients reconnect and resume. */
  dropConnections(): void;
  /**
   * Tells clients to reconnect (tRPC's `reconnect` notification): a `wsLink` opens a new connection,
   * through the balancer to another instance, moves its subscriptions there from their last event,
   * and closes this one; until then this one goes on serving.
   */
  moveClients(): void;
  /** Tells clients to reconnect, then closes. */
  close(): Promise<void>;
}

/** tRPC over WebSocket on the HTTP server's port, upgraded at `/trpc`, with keep-alive pings; `stream` on the fast path. */
export function attachWebSocket(options: WsTransportOptions): WsTransport {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    WebSocket: StreamingWebSocket,
    // One message per connection per turn of the event loop, as browsers do: a connection sending a
    // burst of frames takes turns with everyone else's I/O instead of holding the loop until it is
    // parsed (clients send few frames: subscribe, stop, their params).
    allowSynchronousEvents: false,
  });
  const userBudgets = new UserFrameBudgets(options.frameBudget);
  const handler = applyWSSHandler({
    wss,
    router: options.router,
    createContext: (opts) => {
      const socket = opts.res as StreamingWebSocket;
      const own = new FrameBudget(options.frameBudget);
      // The user's share too, once the token says who it is (before that, the connection's alone).
      let userId: string | undefined;
      socket.limitFrames(
        (bytes) => own.take(bytes) && (userId === undefined || userBudgets.take(userId, bytes)),
        () => cutOff(socket, addressOf(opts.req)),
      );
      const context = options.createContext(opts);
      socket.serveStreams(context, options.streams);
      void context.then(
        (ctx) => {
          userId = ctx.userId ?? undefined;
          if (ctx.authError) refuse(opts.res, addressOf(opts.req), ctx.authError);
        },
        () => 'tRPC reports a context that failed',
      );
      return context;
    },
    // A socket that stops answering pings (a dead peer, a stalled client) is closed.
    keepAlive: { enabled: true, pingMs: options.pingMs, pongWaitMs: Math.min(5_000, options.pingMs) },
    onError: ({ error, path, type, ctx }) => {
      // 'unknown': the connection itself failed (a message over maxPayload, a refused token, too many
      // connections); the socket is closed with its code, and the refusal counted.
      if (error.code === 'CLIENT_CLOSED_REQUEST') return;
      if (type === 'unknown' && !['UNAUTHORIZED', 'TOO_MANY_REQUESTS'].includes(error.code)) {
        options.log.warn({ err: error.cause ?? error }, 'websocket connection refused a message');
      } else options.errors.report({ error, path, type, userId: ctx?.userId });
    },
  });
  options.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== trpcPath && path !== `${trpcPath}/`) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (!originAllowed(req, options.allowedOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (!options.refusals.allows(addressOf(req))) {
      const retryAfter = options.refusals.retryAfterSeconds();
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${retryAfter}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  /**
   * A connection refused for its token: tRPC's own message for a refused connection goes first, so a
   * vanilla `wsLink` keeps backing off when it reconnects (its requests get their own UNAUTHORIZED).
   */
  const refuse = (socket: WebSocket, address: string, error: TRPCError) => {
    options.refusals.refused(address);
    if (socket.readyState === socket.OPEN) socket.send(wsConnectionError(options.router, error));
  };
  /** Closes a connection that sent more than its budget, as a rate limit with a hint; one log line each. */
  const cutOff = (socket: WebSocket, address: string) => {
    const { framesPerSecond, bytesPerSecond } = options.frameBudget;
    options.log.warn({ address, framesPerSecond, bytesPerSecond }, 'closed a WebSocket that sent more than its budget');
    socket.close(
      webSocketCloseCodes.tooManyConnections,
      `too many messages: at most ${framesPerSecond} frames and ${bytesPerSecond} bytes a second; reconnect after 1 s`,
    );
    // What it sends from now on is dropped unparsed (away from ws, which would parse what a paused
    // socket had buffered when it closes); the close frame still goes out, and the connection is cut a
    // moment later.
    const tcp = tcpSocketOf(socket);
    tcp.removeAllListeners('data');
    tcp.resume();
    setTimeout(() => socket.terminate(), closeHandshakeMs).unref();
  };
  return {
    dropConnections() {
      for (const client of wss.clients) client.terminate();
    },
    moveClients() {
      handler.broadcastReconnectNotification();
    },
    close() {
      options.refusals.close();
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      // A peer that does not answer the close handshake is cut after a moment, not ws's 30 s.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, closeHandshakeMs);
      return new Promise<void>((resolve, reject) =>
        wss.close((error) => {
          clearTimeout(cut);
          if (error) reject(error);
          else resolve();
        }),
      );
    },
  };
}

/** The client's address as the socket sees it (behind a proxy, the proxy's). */
function addressOf(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** How long a connection closed for abuse has before it is cut (its close frame goes out meanwhile). */
const closeHandshakeMs = 1_000;
