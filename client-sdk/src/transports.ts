import type { AppRouter } from '@spool/server';
import { SpoolErrorCode } from '@spool/shared';
import { createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCLink, wsLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { EventSource } from '#event-source';
import { withClosingTimeout } from './closing-websocket.ts';
import { SpoolError } from './errors.ts';
import { type RetryPolicy, retryDelayMs } from './retry.ts';
import { trackEventSources } from './tracked-event-source.ts';
import { probeWebSocket } from './websocket-probe.ts';

/** 'auto': WebSocket, or SSE when a WebSocket cannot be opened (a proxy that refuses the upgrade, say). */
export type Transport = 'ws' | 'sse' | 'auto';
export type ActiveTransport = 'ws' | 'sse';

/** A bearer token, asked for at every (re)connection so that a refreshed one is picked up. */
export type TokenSource = () => string | Promise<string>;

export interface ConnectionOptions {
  /** The server's tRPC URL over HTTP(S); the WebSocket URL is the same with ws(s). */
  url: string;
  transport: Transport;
  token: TokenSource | undefined;
  retry: RetryPolicy;
  /** How long 'auto' waits for a WebSocket to open before it takes SSE. */
  probeTimeoutMs: number;
  keepAlive: KeepAlive;
}

/** WebSocket keep-alive: a ping after `intervalMs` of quiet; no pong within `pongTimeoutMs` and the socket is replaced. */
export interface KeepAlive {
  intervalMs: number;
  pongTimeoutMs: number;
}

export interface Connection {
  links: TRPCLink<AppRouter>[];
  /** The transport in use, choosing it first when 'auto' has not yet; rejects once `signal` aborts. */
  activeTransport(signal?: AbortSignal): Promise<ActiveTransport>;
  /** Closes the live connections as a network failure would: streams resume over new ones. */
  drop(): void;
  close(): Promise<void>;
}

/**
 * The tRPC links for a transport. 'ws': everything over one WebSocket, opened at the first call and
 * reopened with the retry policy's backoff. 'sse': subscriptions over Server-Sent Events (the native
 * EventSource in browsers, the `eventsource` package in Node), the rest over batched HTTP. A token
 * travels in `connectionParams` on WS and SSE (SSE puts it in the URL: keep those tokens
 * short-lived) and as `Authorization: Bearer` on HTTP.
 */
export function openConnection(options: ConnectionOptions): Connection {
  const connectionParams = options.token ? async () => ({ token: await (options.token as TokenSource)() }) : undefined;
  const ws = createWSClient({
    url: options.url.replace(/^http/, 'ws'),
    connectionParams,
    lazy: { enabled: true, closeMs: 30_000 },
    // A connection that goes silent (a sleeping laptop, a NAT that forgot it) gives no close: ping it.
    keepAlive: { enabled: true, ...options.keepAlive },
    WebSocket: withClosingTimeout(globalThis.WebSocket, options.keepAlive.pongTimeoutMs),
    retryDelayMs: (attempt) => retryDelayMs(options.retry, attempt),
  });
  if (!EventSource && options.transport === 'sse') {
    throw new SpoolError(
      SpoolErrorCode.invalidInput,
      "transport 'sse' needs an EventSource, and this runtime has none",
      {
        retryable: false,
      },
    );
  }
  const eventSources = EventSource ? trackEventSources(EventSource) : undefined;
  const sse = splitLink<AppRouter>({
    condition: (op) => op.type === 'subscription',
    true: httpSubscriptionLink<AppRouter, typeof globalThis.EventSource>({
      url: options.url,
      EventSource: eventSources?.EventSource,
      connectionParams,
    }),
    false: httpBatchLink({
      url: options.url,
      headers: async () => (options.token ? { authorization: `Bearer ${await options.token()}` } : {}),
    }),
  });

  let choice: Promise<ActiveTransport> | undefined;
  const choose = () => {
    if (options.transport !== 'auto') return Promise.resolve(options.transport);
    if (!eventSources) return Promise.resolve<ActiveTransport>('ws');
    choice ??= probeWebSocket(options.url, options.probeTimeoutMs).then((opened) => (opened ? 'ws' : 'sse'));
    return choice;
  };
  const activeTransport = (signal?: AbortSignal) => (signal ? untilAborted(choose(), signal) : choose());

  return {
    links: [chosenLink(choose, wsLink<AppRouter>({ client: ws }), sse)],
    activeTransport,
    drop() {
      ws.connection?.ws.close();
      eventSources?.failAll();
    },
    close: () => ws.close(),
  };
}

/** Sends each operation over whichever transport `choose` settles on (at once, once it has chosen). */
function chosenLink(
  choose: () => Promise<ActiveTransport>,
  ws: TRPCLink<AppRouter>,
  sse: TRPCLink<AppRouter>,
): TRPCLink<AppRouter> {
  return (runtime) => {
    const chains = { ws: ws(runtime), sse: sse(runtime) };
    return ({ op, next }) =>
      observable((observer) => {
        let inner: Unsubscribable | undefined;
        let stopped = false;
        void choose().then((transport) => {
          if (!stopped) inner = chains[transport]({ op, next }).subscribe(observer);
        });
        return () => {
          stopped = true;
          inner?.unsubscribe();
        };
      });
  };
}

/** `promise`, or the signal's reason once it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
