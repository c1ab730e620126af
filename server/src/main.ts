#!/usr/bin/env node
import cluster from 'node:cluster';
import { runPrimary } from './cluster-primary.ts';
import { ConfigError, loadConfig } from './config.ts';
import { runInstance } from './instance.ts';
import { createLogger } from './logger.ts';

/** `npm start`: configuration from the environment, embedded defaults for whatever is unset. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (cluster.isPrimary && config.processes > 1) {
    const embedded = [!config.redis && 'REDIS_URL', !config.database.url && 'DATABASE_URL'].filter(Boolean);
    if (embedded.length === 0) {
      runPrimary(config, log);
      return;
    }
    // The in-process log and PGlite belong to one process: several would each have their own.
    log.warn(
      { processes: config.processes, unset: embedded },
      'running one server process: several need a shared Redis and PostgreSQL (REDIS_URL and DATABASE_URL)',
    );
  }
  await runInstance(config, log);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `failed to start: ${String(error)}`;
  process.stderr.write(`spool: ${message}\n`);
  process.exit(1);
});
