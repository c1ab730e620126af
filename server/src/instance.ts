import cluster from 'node:cluster';
import { startSpool } from './app.ts';
import type { SpoolConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { chatPageBuilt } from './transports/chat-page.ts';

/** What a process of a cluster tells its primary once it listens. */
export interface ListeningMessage {
  type: 'spool:listening';
  url: string;
  banner: string[];
}

/**
 * One Spool instance in this process, as `npm start` runs it: started, announced, and drained on
 * SIGTERM or SIGINT (then the process exits). In a cluster, the primary prints the banner once for all.
 */
export async function runInstance(config: SpoolConfig, log: Logger): Promise<void> {
  const spool = await startSpool(config, { log });
  const banner = bannerOf(config, spool);
  if (cluster.isWorker) {
    process.send?.({ type: 'spool:listening', url: spool.url, banner } satisfies ListeningMessage);
  } else if (config.logFormat === 'json') {
    // Asked for JSON only: the banner is a log line like any other.
    const { storeKind, db, provider } = spool.services;
    log.info({ url: spool.url, store: storeKind, database: db.kind, models: provider.models }, 'listening');
  } else {
    // On stderr: stdout is the JSON log stream.
    process.stderr.write(`${banner.join('\n')}\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const answers = spool.services.generations.size;
    log.info(
      { signal, answers, drainMs: config.drainMs },
      'draining: answers in flight run to their end, clients move',
    );
    spool.close().then(
      () => {
        log.info({ signal }, 'drained');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function bannerOf(config: SpoolConfig, spool: Awaited<ReturnType<typeof startSpool>>): string[] {
  const { storeKind, db, provider } = spool.services;
  const redis = config.redis && 'clusterNodes' in config.redis ? 'Redis Cluster' : 'Redis';
  const streamLog = storeKind === 'redis' ? `the ${redis} stream log` : 'the in-process stream log';
  const database = db.kind === 'postgresql' ? 'PostgreSQL' : `embedded PGlite (${config.database.dataDir})`;
  if (config.role === 'worker') {
    const base = new URL('/', spool.url).href;
    return [
      `Spool generation worker: ${config.workerConcurrency} queued answers at a time, into ${streamLog} and ${database}, from ${provider.defaultModel}.`,
      `Health, readiness and metrics on ${base} (healthz, readyz, metrics); no API.`,
    ];
  }
  const lines = [
    `Spool is listening on ${spool.url} (HTTP, SSE and WebSocket) with ${streamLog} and ${database}.`,
    config.role === 'api'
      ? 'Answers are queued for generation workers (SPOOL_ROLE=worker).'
      : `Answers come from ${provider.defaultModel} (callers may pick: ${provider.models.join(', ')}).`,
  ];
  // The chat page and the chat command live in Spool's repository; an installed server has neither.
  if (config.webDir && chatPageBuilt(config.webDir)) {
    const urlFlag = spool.url === 'http://127.0.0.1:3000/trpc' ? '' : ` --url ${spool.url}`;
    lines.push(
      `Chat in a browser: ${new URL('/', spool.url).href}`,
      `Or in a terminal: npm run chat --${urlFlag} "hello"`,
    );
  }
  return lines;
}
