import type { AddressInfo } from 'node:net';
import type { SpoolConfig } from './config.ts';
import { DemoProvider } from './generation/demo-provider.ts';
import { Generations } from './generation/generations.ts';
import type { ModelProvider } from './generation/provider.ts';
import { createLogger, type Logger } from './logger.ts';
import { openStore } from './store/open-store.ts';
import type { StreamStore } from './store/types.ts';
import { createHttpServer, trpcPath } from './transports/http.ts';
import { attachWebSocket } from './transports/ws.ts';
import type { SpoolContext } from './trpc/init.ts';
import { createSpoolRouter } from './trpc/router.ts';

/** Largest request a client may send (HTTP body or WebSocket message): a maximal message, escaped, plus framing. */
const maxRequestBytes = 256 * 1024;

export interface SpoolServer {
  /** `http://host:port/trpc`, for HTTP, SSE and (as ws://) WebSocket clients. */
  url: string;
  port: number;
  store: StreamStore;
  storeKind: 'memory' | 'redis';
  generations: Generations;
  /** Drops every client connection (WebSocket and SSE) without stopping: clients reconnect. */
  dropConnections(): void;
  /** Stops accepting, tells WebSocket clients to reconnect elsewhere, finishes or ends generations, closes. */
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  provider?: ModelProvider;
}

/** Starts Spool: store, generations, the tRPC router, HTTP + SSE + WebSocket on one port. */
export async function startSpool(config: SpoolConfig, options: StartOptions = {}): Promise<SpoolServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const provider = options.provider ?? new DemoProvider(config.demo);
  const opened = await openStore({ ...config, log });
  const generations = new Generations({ store: opened.store, provider, log, leaseMs: config.leaseMs });
  const router = createSpoolRouter({ store: opened.store, generations, provider, leaseMs: config.leaseMs });
  const createContext = (): SpoolContext => ({ userId: 'local' });

  const server = createHttpServer({ router, createContext, log, maxBodyBytes: maxRequestBytes });
  const ws = attachWebSocket({
    server,
    router,
    createContext,
    log,
    maxPayloadBytes: maxRequestBytes,
    maxBufferedBytes: config.wsMaxBufferedBytes,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  return {
    url: `http://${host}:${port}${trpcPath}`,
    port,
    store: opened.store,
    storeKind: opened.kind,
    generations,
    dropConnections() {
      ws.dropConnections();
      server.closeAllConnections();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await ws.close();
      server.closeAllConnections();
      await closed;
      await generations.shutdown(config.shutdownGraceMs);
      await opened.close();
    },
  };
}
