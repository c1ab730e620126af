import type { AddressInfo } from 'node:net';
import { createAuthenticator } from './auth/authenticator.ts';
import type { SpoolConfig } from './config.ts';
import { RefusedSources } from './limits/refused-sources.ts';
import { clusterMetricsText, clusterWorkerMark } from './metrics/cluster-metrics.ts';
import { openSpoolServices, type SpoolServices, type SpoolServicesOptions } from './services.ts';
import { fastStreamDeps } from './transports/fast-streams.ts';
import { createHttpServer, trpcPath } from './transports/http.ts';
import { ProcedureErrors } from './transports/procedure-errors.ts';
import { createSseStreams } from './transports/sse-streams.ts';
import { attachWebSocket } from './transports/ws.ts';
import { createHttpContext, createWsContext } from './trpc/context.ts';

/**
 * WebSocket connections one address may have refused for their token per window before its upgrades
 * are turned away (429) until the window ends: room for a household or office whose tokens expired
 * together, not for a client reconnecting in a loop.
 */
const refusedConnectionsPerWindow = 20;
const refusalWindowMs = 10_000;

/** Largest request a client may send (HTTP body or WebSocket message): a maximal message, escaped, plus framing. */
const maxRequestBytes = 256 * 1024;

export interface SpoolServer {
  /** `http://host:port/trpc`, for HTTP, SSE and (as ws://) WebSocket clients. */
  url: string;
  port: number;
  services: SpoolServices;
  /** Drops every client connection (WebSocket and SSE) without stopping: clients reconnect. */
  dropConnections(): void;
  /** Drains (see `close` below): stops accepting, moves clients elsewhere, lets answers finish, closes. Idempotent. */
  close(): Promise<void>;
}

export type StartOptions = SpoolServicesOptions;

/** Starts Spool: store, generations, the tRPC router, HTTP + SSE + WebSocket on one port. */
export async function startSpool(config: SpoolConfig, options: StartOptions = {}): Promise<SpoolServer> {
  const services = await openSpoolServices(config, options);
  const { router, log } = services;
  const auth = createAuthenticator(config.auth);
  if (auth.mode === 'development' && config.role !== 'worker') {
    log.warn('no authentication configured (SPOOL_JWT_SECRET or SPOOL_JWKS_URL): every caller is the one local user');
  }
  const { allowedOrigins } = config.abuse;
  const errors = new ProcedureErrors(log, services.metrics);
  const fastStreams = fastStreamDeps({
    router,
    sources: { store: services.store, db: services.db, queries: services.queries },
    limits: services.limits,
    maxBufferedBytes: config.wsMaxBufferedBytes,
    log,
    errors,
  });
  const httpContext = createHttpContext(auth);
  const sse = createSseStreams({ ...fastStreams, path: `${trpcPath}/stream`, createContext: httpContext });
  // A generation worker serves no API: its port is for health, readiness and metrics.
  const serveApi = config.role !== 'worker';
  const server = createHttpServer({
    serveApi,
    router,
    createContext: httpContext,
    log,
    maxBodyBytes: maxRequestBytes,
    allowedOrigins,
    webDir: serveApi ? config.webDir : undefined,
    streams: sse,
    requestBudget: config.abuse.httpRequestBudget,
    readiness: services.readiness,
    metrics: {
      // In a process of SPOOL_PROCESSES, the sum over all of them: a scrape may reach any one.
      text: process.env[clusterWorkerMark]
        ? clusterMetricsText(services.metrics.registry)
        : () => services.metrics.registry.metrics(),
      token: config.metricsToken,
    },
    errors,
  });
  const ws = serveApi
    ? attachWebSocket({
        server,
        router,
        createContext: createWsContext(auth, config.wsMaxBufferedBytes, services.connections),
        log,
        maxPayloadBytes: maxRequestBytes,
        pingMs: config.wsPingMs,
        allowedOrigins,
        streams: fastStreams,
        refusals: new RefusedSources({ limit: refusedConnectionsPerWindow, windowMs: refusalWindowMs, log }),
        frameBudget: config.abuse.wsFrameBudget,
        errors,
      })
    : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    sse.close();
    await ws?.close();
    errors.close();
    await services.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  /**
   * The drain: not ready, no new connection or answer; with a shared store, watchers are sent to other
   * instances at once (they resume from their last event); the answers generating here run to their
   * end (up to the drain time), then everything closes.
   */
  const close = async () => {
    services.readiness.startDraining();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (services.storeKind === 'redis') {
      ws?.moveClients();
      sse.moveClients();
    }
    await services.finishAnswers();
    await ws?.close();
    sse.close();
    server.closeAllConnections();
    await closed;
    errors.close();
    await services.close();
  };
  return {
    url: `http://${host}:${port}${trpcPath}`,
    port,
    services,
    dropConnections() {
      ws?.dropConnections();
      server.closeAllConnections();
    },
    close() {
      closing ??= close();
      return closing;
    },
  };
}
