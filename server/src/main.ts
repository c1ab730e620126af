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
  if (config.logFormat === 'json') {
    // Asked for JSON only: the banner is a log line like any other.
    log.info({ url: spool.url, store: storeKind, database: db.kind, models: provider.models }, 'listening');
  } else {
    // On stderr: stdout is the JSON log stream.
    const lines = [
      `Spool is listening on ${spool.url} (HTTP, SSE and WebSocket) with ${streamLog} and ${database}.`,
      `Answers come from ${provider.defaultModel} (callers may pick: ${provider.models.join(', ')}).`,
    ];
    // The chat page and the chat command live in Spool's repository; an installed server has neither.
    if (config.webDir && chatPageBuilt(config.webDir)) {
      const urlFlag = spool.url === 'http://127.0.0.1:3000/trpc' ? '' : ` --url ${spool.url}`;
      lines.push(
        `Chat in a browser: ${new URL('/', spool.url).href}`,
        `Or in a terminal: npm run chat --${urlFlag} "hello"`,
      );
    }
    process.stderr.write(`${lines.join('\n')}\n`);
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

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `failed to start: ${String(error)}`;
  process.stderr.write(`spool: ${message}\n`);
  process.exit(1);
});
