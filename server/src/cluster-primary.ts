import cluster, { type Worker } from 'node:cluster';
import type { SpoolConfig } from './config.ts';
import type { ListeningMessage } from './instance.ts';
import type { Logger } from './logger.ts';
import { clusterWorkerMark, serveClusterMetrics } from './metrics/cluster-metrics.ts';

/** How soon a process that died is replaced, and how many deaths in a row the primary tolerates. */
const restartDelayMs = 1_000;
const maxRestartsInARow = 5;

/**
 * `SPOOL_PROCESSES=N`: N Spool processes on one port (Node's cluster: the primary accepts and hands
 * connections round-robin), each a full instance over the shared Redis and PostgreSQL. The banner is
 * printed once all listen; a process that dies is replaced; SIGTERM or SIGINT drains them all, and
 * the primary exits when the last one has.
 */
export function runPrimary(config: SpoolConfig, log: Logger): void {
  let listening = 0;
  let stopping = false;
  let restartsInARow = 0;
  const fork = (): Worker => {
    const worker = cluster.fork({ [clusterWorkerMark]: '1' });
    worker.on('message', (message: ListeningMessage) => {
      if (message?.type !== 'spool:listening') return;
      restartsInARow = 0;
      if (++listening !== config.processes) return;
      if (config.logFormat === 'json') log.info({ url: message.url, processes: config.processes }, 'listening');
      else process.stderr.write(`${message.banner.join('\n')}\nRunning ${config.processes} server processes.\n`);
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'a server process died; starting another');
    if (++restartsInARow > maxRestartsInARow) {
      log.fatal({ restartsInARow }, 'server processes keep dying; stopping');
      process.exit(1);
    }
    // Not once a drain has begun: the new process would never be told to stop.
    setTimeout(() => stopping || fork(), restartDelayMs);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, processes: config.processes }, 'draining every server process');
    // A terminal's Ctrl-C reaches them all already; a SIGTERM to the primary (a container stop) does not.
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  serveClusterMetrics();
  for (let i = 0; i < config.processes; i++) fork();
}
