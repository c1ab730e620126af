import { describe, expect, it, vi } from 'vitest';
import { connect, watch } from '../helpers/clients.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { startOwnRedis } from '../helpers/own-redis.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

async function probe(base: string, path: '/healthz' | '/readyz') {
  const response = await fetch(new URL(path, base));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** How soon `/readyz` must follow a dependency going away or coming back. */
const withinOneSecond = { timeout: 1_000, interval: 25 };

describe('health and readiness', () => {
  it('/readyz turns 503 within a second of Redis or PostgreSQL going away, 200 when back; /healthz stays 200', async () => {
    const redis = await startOwnRedis();
    const database = new URL(await testDatabaseUrl());
    const proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
    database.port = String(proxy.port);
    const server = await startTestServer({
      redis: { url: redis.url },
      redisPrefix: uniquePrefix(),
      database: { url: database.toString() },
    });
    expect(await probe(server.url, '/readyz')).toEqual({
      status: 200,
      body: { ready: true, draining: false, checks: { store: 'ok', database: 'ok' } },
    });

    await redis.stop();
    await vi.waitFor(async () => {
      const { status, body } = await probe(server.url, '/readyz');
      expect(status).toBe(503);
      expect(body).toMatchObject({ ready: false, checks: { database: 'ok' } });
      expect(body.checks).not.toMatchObject({ store: 'ok' });
    }, withinOneSecond);
    expect(await probe(server.url, '/healthz')).toEqual({ status: 200, body: { ok: true } });
    await redis.start();
    await vi.waitFor(async () => expect((await probe(server.url, '/readyz')).status).toBe(200), { timeout: 5_000 });

    proxy.cut();
    await vi.waitFor(async () => {
      const { status, body } = await probe(server.url, '/readyz');
      expect(status).toBe(503);
      expect(body).toMatchObject({ ready: false, checks: { store: 'ok' } });
    }, withinOneSecond);
    proxy.restore();
    await vi.waitFor(async () => expect((await probe(server.url, '/readyz')).status).toBe(200), { timeout: 5_000 });
  });

  it('a drain: not ready at once, new answers refused with a retryable SHUTTING_DOWN, answers in flight run to their end', async () => {
    const server = await startTestServer({
      redisPrefix: uniquePrefix(),
      demoTokens: 20,
      demoTokensPerSecond: 20,
      drainMs: 10_000,
    });
    const client = connect(server.url, 'ws');
    const { streamId } = await client.sendMessage.mutate({ content: 'a long one' });
    const events = watch(client, { streamId });
    const started = performance.now();
    const closing = server.close();

    expect(await server.services.readiness.check()).toMatchObject({ ready: false, draining: true });
    // Over the connection the client already has (a new one is refused: the server no longer listens).
    await expect(client.sendMessage.mutate({ content: 'one more' })).rejects.toMatchObject({
      data: { code: 'SERVICE_UNAVAILABLE', spoolCode: 'SHUTTING_DOWN' },
    });
    expect((await events).at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    await closing;
    // It closed once its answer was done, not at the end of the drain time.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
