import type { AppRouter } from '@spool/server/router';
import { createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCLink, wsLink } from '@trpc/client';
import type { DataTransformerOptions } from '@trpc/server/unstable-core-do-not-import';
import { EventSource as platformEventSource } from '#event-source';
import { WebSocket as platformWebSocket } from '#websocket';
import { checkedLink, failureReports } from './checked-link.ts';
import { invalidOptions } from './client-options.ts';
import { withClosingTimeout } from './closing-websocket.ts';
import { endpointChecker } from './endpoint-check.ts';
import type { SpoolError } from './errors.ts';
import { prefixedLink } from './prefixed-link.ts';
import { type RetryPolicy, retryDelayMs } from './retry.ts';
import { trackEventSources } from './tracked-event-source.ts';
import { transformerOption } from './transformer-option.ts';
import { probeTransport } from './websocket-probe.ts';

/** 'auto': WebSocket, or SSE when a WebSocket cannot be opened (a proxy that refuses the upgrade, say). */
export type Transport = 'ws' | 'sse' | 'auto';
export type ActiveTransport = 'ws' | 'sse';

/** A bearer token, asked for at every (re)connection so that a refreshed one is picked up. */
export type TokenSource = () => string | Promise<string>;

export interface ConnectionOptions {
  /** The server's tRPC URL over HTTP(S), checked; the WebSocket URL is the same with ws(s). */
  url: string;
  /** Prefix of the procedure paths where an app mounts Spool (`'spool.'`), or ''. */
  prefix: string;
  transport: Transport;
  token: TokenSource | undefined;
  retry: RetryPolicy;
  /** How long 'auto' waits for a WebSocket to open before it takes SSE. */
  probeTimeoutMs: number;
  keepAlive: KeepAlive;
  /** The server's transformer (an app's superjson, say); none for Spool's own server. */
  transformer: DataTransformerOptions | undefined;
  WebSocket: typeof globalThis.WebSocket | undefined;
  EventSource: typeof globalThis.EventSource | undefined;
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
  /** Closes the WebSocket, whose token the server refused, so that the next one asks `getToken` again. */
  renew(): void;
  close(): Promise<void>;
}

/**
 * The tRPC links for a transport. 'ws': everything over one WebSocket, opened at the first call and
 * reopened with the retry policy's backoff. 'sse': subscriptions over Server-Sent Events (the native
 * EventSource in browsers, the `eventsource` package in Node), the rest over batched HTTP. A token
 * travels in `connectionParams` on WS and SSE (SSE puts it in the URL: keep those tokens
 * short-lived) and as `Authorization: Bearer` on HTTP. A failure that does not come from Spool is
 * checked against the URL (`endpoint-check.ts`): a wrong one fails the calls waiting on it at once,
 * rather than having them retried until they time out.
 */
export function openConnection(options: ConnectionOptions): Connection {
  const { transformer } = options;
  const WebSocket = options.WebSocket ?? platformWebSocket;
  const EventSource = options.EventSource ?? platformEventSource;
  if (!WebSocket && options.transport !== 'sse') throw missing('a WebSocket', 'WebSocket');
  if (!EventSource && options.transport === 'sse') throw missing('an EventSource', 'EventSource');
  const endpoint = endpointChecker(options.url, options.prefix, Math.max(options.probeTimeoutMs, 1_000));
  const failures = failureReports();
  const connectionParams = options.token ? async () => ({ token: await (options.token as TokenSource)() }) : undefined;

  let opened = false;
  const ws = WebSocket
    ? createWSClient({
        url: options.url.replace(/^http/, 'ws'),
        connectionParams,
        lazy: { enabled: true, closeMs: 30_000 },
        // A connection that goes silent (a sleeping laptop, a NAT that forgot it) gives no close: ping it.
        keepAlive: { enabled: true, ...options.keepAlive },
        WebSocket: withClosingTimeout(WebSocket, options.keepAlive.pongTimeoutMs),
        retryDelayMs: (attempt) => retryDelayMs(options.retry, attempt),
        onOpen: () => {
          opened = true;
        },
        // Refused before it opened (a 404 at the upgrade, say): tRPC would retry it until the calls time out.
        onClose: () => {
          if (!opened) void endpoint.check().then((error) => error && failures.failAll(error));
          opened = false;
        },
      })
    : undefined;
  const eventSources = EventSource ? trackEventSources(EventSource) : undefined;
  const sse = splitLink<AppRouter>({
    condition: (op) => op.type === 'subscription',
    true: httpSubscriptionLink<AppRouter, typeof globalThis.EventSource>({
      url: options.url,
      EventSource: eventSources?.EventSource,
      connectionParams,
      ...transformerOption(transformer),
    }),
    false: httpBatchLink<AppRouter>({
      url: options.url,
      headers: async () => (options.token ? { authorization: `Bearer ${await options.token()}` } : {}),
      ...transformerOption(transformer),
    }),
  });

  let choice: Promise<ActiveTransport> | undefined;
  let probedAt = 0;
  const choose = () => {
    if (options.transport !== 'auto') return Promise.resolve(options.transport);
    if (!eventSources || !WebSocket) return Promise.resolve<ActiveTransport>(WebSocket ? 'ws' : 'sse');
    choice ??= probeTransport(WebSocket, options.url, options.probeTimeoutMs).then((found) => {
      probedAt = Date.now();
      if (!found) choice = undefined; // nothing answered: SSE's calls fail now, and the next one probes again
      return found ?? 'sse';
    });
    return choice;
  };
  /** 'auto' took SSE and SSE just failed to connect: the WebSocket may be back; probe again, at most once a while. */
  const reprobe = () => {
    if (options.transport === 'auto' && Date.now() - probedAt > reprobeAfterMs) choice = undefined;
  };
  const activeTransport = (signal?: AbortSignal) => (signal ? untilAborted(choose(), signal) : choose());
  const chains = { ws: ws ? wsLink<AppRouter>({ client: ws, ...transformerOption(transformer) }) : sse, sse };

  return {
    links: [
      ...(options.prefix ? [prefixedLink<AppRouter>(options.prefix)] : []),
      checkedLink({ choose, chains, endpoint, failures, reprobe }),
    ],
    activeTransport,
    drop() {
      ws?.connection?.ws.close();
      eventSources?.failAll();
    },
    renew() {
      ws?.connection?.ws.close();
    },
    close: async () => {
      await ws?.close();
    },
  };
}

/** How long 'auto' keeps a choice of SSE before an SSE failure may make it probe the WebSocket again. */
const reprobeAfterMs = 30_000;

function missing(what: string, option: string): SpoolError {
  return invalidOptions(`this transport needs ${what}, and this runtime has none: pass one as \`${option}\``);
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
