import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { expect, onTestFinished, vi } from 'vitest';
import { freePort } from '../support/free-port.ts';

/**
 * A redis-server of the test's own, which it may kill and restart (never the shared one).
 * Stopped when the test finishes.
 */
export async function startOwnRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // Refused until the server is up: each attempt's failure reaches waitFor through connect()'s
    // rejection; ioredis would also print it as an unhandled 'error' event.
    probe.on('error', () => {});
    await vi.waitFor(
      async () => {
        // Not up yet: connecting fails, and waitFor retries (reporting the last failure if it gives up).
        if (probe.status !== 'ready') await probe.connect();
        expect(await probe.ping()).toBe('PONG');
      },
      { timeout: 5_000, interval: 50 },
    );
    probe.disconnect();
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  onTestFinished(stop);
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
