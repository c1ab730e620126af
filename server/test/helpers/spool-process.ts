import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { testDatabaseUrl } from './database.ts';
import { testRedisUrl, uniquePrefix } from './redis.ts';

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface SpoolProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Its JSON log lines so far, parsed (warnings and worse are echoed to the test's output too). */
  logs: Record<string, unknown>[];
}

/**
 * `npm start` as a process of the test's own (from the sources), on port 0 with `env` over a quiet
 * base; resolves once it listens. Killed when the test finishes if still running.
 */
export async function startSpoolProcess(env: Record<string, string>): Promise<SpoolProcess> {
  const child = spawn(process.execPath, ['--conditions=@spool/source', main], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SPOOL_WEB_DIR: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (Number(entry.level) >= 40) process.stdout.write(`${line}\n`);
    } catch {
      process.stdout.write(`${line}\n`);
    }
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const lines = createInterface({ input: child.stderr });
  const listening = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      // An API instance says where it listens; a worker, where its health and metrics are.
      const url = /(?:listening on|metrics on) (\S+)/.exec(line)?.[1];
      if (url) resolve(url);
      else process.stderr.write(`${line}\n`); // a warning or a crash's stack belongs in the test's output
    });
    void exited.then((code) => reject(new Error(`the Spool process exited with ${code} before it listened`)));
  });
  const url = await listening;
  return { url, port: Number(new URL(url).port), child, exited, logs };
}

/**
 * The environment of Spool processes that share this file's database and a Redis prefix of their
 * own, with the limits of the one development user (every request here is theirs) lifted; plus `extra`.
 */
export async function sharedEnv(extra: Record<string, string>): Promise<Record<string, string>> {
  return {
    REDIS_URL: testRedisUrl,
    SPOOL_REDIS_PREFIX: uniquePrefix().replace(':', '-'),
    DATABASE_URL: await testDatabaseUrl(),
    SPOOL_MAX_STREAMS_PER_USER: '1000',
    SPOOL_REQUESTS_PER_MINUTE: '100000',
    SPOOL_MAX_CONNECTIONS_PER_USER: '100000',
    SPOOL_WS_FRAMES_PER_SECOND: '100000',
    ...extra,
  };
}
