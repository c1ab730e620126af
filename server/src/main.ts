#!/usr/bin/env node
import { startSpool } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { chatPageBuilt } from './transports/chat-page.ts';

/** `npm start`: configuration from the environment, embedded defaults for whatever is unset. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const spool = await startSpool(config, { log });
  const { storeKind, db, provider } = spool.services;
  const streamLog = storeKind === 'redis' ? 'the Redis stream log' : 'the in-process stream log';
  const database = db.kind === 'postgresql' ? 'PostgreSQL' : `embedded PGlite (${config.database.dataDir})`;
  process.stdout.write(
    `Spool is listening on ${spool.url} (HTTP, SSE and WebSocket) with ${streamLog} and ${database}.\n`,
  );
  process.stdout.write(
    `Answers come from ${provider.defaultModel} (callers may pick: ${provider.models.join(', ')}).\n`,
  );
  // The chat page and the chat command live in Spool's repository; an installed server has neither.
  if (config.webDir && chatPageBuilt(config.webDir)) {
    const urlFlag = spool.url === 'http://127.0.0.1:3000/trpc' ? '' : ` --url ${spool.url}`;
    process.stdout.write(`Chat in a browser: ${new URL('/', spool.url).href}\n`);
    process.stdout.write(`Or in a terminal: npm run chat --${urlFlag} "hello"\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    spool.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `failed to start: ${String(error)}`;
  process.stderr.write(`spool: ${message}\n`);
  process.exit(1);
});
