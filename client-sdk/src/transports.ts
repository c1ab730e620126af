import type { AppRouter } from '@spool/server/router';
import { SpoolErrorCode } from '@spool/shared';
import { createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { DataTransformerOptions } from '@trpc/server/unstable-core-do-not-import';
import { EventSource as platformEventSource } from '#event-source';
import { WebSocket as platformWebSocket } from '#websocket';
import { withClosingTimeout } from './closing-websocket.ts';
import { endpointChecker } from './endpoint-check.ts';
import { causesOf, SpoolError } from './errors.ts';
import { prefixedLink } from './prefixed-link.ts';
import { type RetryPolicy, retryDelayMs } from './retry.ts';
import { trackEventSources } from './tracked-event-source.ts';
import { probeTransport } from './websocket-probe.ts';
import { wsLinkOf } from './ws-link.ts';

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
  close(): Promise<void>;
}

/**
 * The tRPC links for a transport. 'ws': everything over one WebSocket, opened at the first call and
 * reopened with the retry policy's backoff. 'sse': subscriptions over Server-Sent Events (the native
 * EventSource in browsers, the `eventsource` package in Node), the rest over batched HTTP. A token
 * travels in `connectionParams` on WS and SSE (SSE puts it in the URL: keep those tokens
 * short-lived) and as `Authorization: Bearer` on HTTP. A failure that does not come from Spool is
 * checked against the URL once: a wrong one fails every call at once, rather than being retried.
 */
export function openConnection(options: ConnectionOptions): Connection {
  const { transformer } = options;
  const WebSocket = options.WebSocket ?? platformWebSocket;
  const EventSource = options.EventSource ?? platformEventSource;
  if (!WebSocket && options.transport === 'ws') throw missing("transport 'ws' needs a WebSocket", 'WebSocket');
  if (!EventSource && options.transport === 'sse') throw missing("transport 'sse' needs an EventSource", 'EventSource');
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
        // Refused before it opened (a 404 at the upgrade, say): tRPC would retry it forever.
        onClose: () => {
          if (!opened) void endpoint.check().then((error) => error && fail(error));
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
      ...({ transformer } as object),
    }),
    false: httpBatchLink<AppRouter>({
      url: options.url,
      headers: async () => (options.token ? { authorization: `Bearer ${await options.token()}` } : {}),
      ...({ transformer } as object),
    }),
  });

  let choice: Promise<ActiveTransport> | undefined;
  const choose = () => {
    if (options.transport !== 'auto') return Promise.resolve(options.transport);
    if (!eventSources) return Promise.resolve<ActiveTransport>('ws');
    if (!WebSocket) return Promise.resolve<ActiveTransport>('sse');
    choice ??= probeTransport(WebSocket, options.url, options.probeTimeoutMs).then((found) => {
      if (!found) choice = undefined; // nothing answered: SSE's calls fail now, and the next one probes again
      return found ?? 'sse';
    });
    return choice;
  };
  /** 'auto' settled on SSE, and SSE just failed to connect: the WebSocket may be back; probe again next time. */
  const reprobe = () => {
    if (options.transport === 'auto') choice = undefined;
  };
  const fail = (error: SpoolError) => {
    failures.failAll(error);
    void ws?.close();
  };
  const activeTransport = (signal?: AbortSignal) => (signal ? untilAborted(choose(), signal) : choose());
  const chains = { ws: ws ? wsLinkOf(ws, transformer) : sse, sse };

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
    close: async () => {
      await ws?.close();
    },
  };
}

interface CheckedLinkDeps {
  choose: () => Promise<ActiveTransport>;
  chains: Record<ActiveTransport, TRPCLink<AppRouter>>;
  endpoint: ReturnType<typeof endpointChecker>;
  failures: ReturnType<typeof failureReports>;
  reprobe: () => void;
}

/**
 * Sends each operation over whichever transport `choose` settles on (at once, once it has chosen).
 * An error without Spool's data is checked against the endpoint first: a wrong URL is reported as
 * such, and every operation still waiting fails with it.
 */
function checkedLink({ choose, chains, endpoint, failures, reprobe }: CheckedLinkDeps): TRPCLink<AppRouter> {
  return (runtime) => {
    const links = { ws: chains.ws(runtime), sse: chains.sse(runtime) };
    return ({ op, next }) =>
      observable((observer) => {
        let inner: Unsubscribable | undefined;
        let stopped = false;
        const stopFailing = failures.add((error) => observer.error(error as never));
        void choose().then((transport) => {
          if (stopped) return;
          inner = links[transport]({ op, next }).subscribe({
            next(result) {
              // A subscription's connection state: its error may be the first sign of a wrong URL.
              const state = result.result as { type?: string; error?: unknown };
              if (state.type !== 'state') endpoint.confirm();
              else if (state.error && !fromSpool(state.error)) {
                if (transport === 'sse') reprobe();
                void endpoint.check().then((wrong) => wrong && observer.error(wrong as never));
              }
              observer.next(result);
            },
            error(error) {
              if (fromSpool(error)) {
                endpoint.confirm();
                observer.error(error);
                return;
              }
              if (transport === 'sse') reprobe();
              void endpoint.check().then((wrong) => observer.error((wrong ?? error) as never));
            },
            complete: () => observer.complete(),
          });
        });
        return () => {
          stopped = true;
          stopFailing();
          inner?.unsubscribe();
        };
      });
  };
}

/** The operations in flight, to fail together when the endpoint turns out to be wrong. */
function failureReports() {
  const waiting = new Set<(error: SpoolError) => void>();
  let failed: SpoolError | undefined;
  return {
    add(report: (error: SpoolError) => void): () => void {
      if (failed) {
        report(failed);
        return () => {};
      }
      waiting.add(report);
      return () => waiting.delete(report);
    },
    failAll(error: SpoolError): void {
      failed = error;
      for (const report of [...waiting]) report(error);
      waiting.clear();
    },
  };
}

/** Whether an error came from a Spool server (or any tRPC server): it carries tRPC's error data. */
function fromSpool(error: unknown): boolean {
  for (const cause of causesOf(error)) if (typeof cause.data === 'object' && cause.data !== null) return true;
  return false;
}

function missing(what: string, option: string): SpoolError {
  return new SpoolError(SpoolErrorCode.invalidInput, `${what}, and this runtime has none: pass one as \`${option}\``, {
    retryable: false,
  });
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
