import { describe, expect, it, vi } from 'vitest';
import { connect, watch } from '../helpers/clients.ts';
import { startOwnRedis } from '../helpers/own-redis.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe('while Redis is down', () => {
  it('fails requests fast with a typed error, keeps serving, and recovers by itself when Redis returns', async () => {
    const redis = await startOwnRedis();
    const server = await startTestServer({ redis: { url: redis.url }, redisPrefix: uniquePrefix(), demoTokens: 5 });
    const client = connect(server.url, 'ws');
    const before = await client.sendMessage.mutate({ content: 'before' });
    expect((await watch(client, { streamId: before.streamId })).at(-1)?.type).toBe('done');

    await redis.stop();
    const unavailable = { data: { code: 'SERVICE_UNAVAILABLE', spoolCode: 'STORE_UNAVAILABLE' } };
    const failing = client.sendMessage.mutate({ content: 'during' });
    await expect(failing).rejects.toMatchObject(unavailable);
    // Over WebSocket the subscription fails with the same error; tRPC's SSE link retries such errors by itself.
    await expect(watch(client, { streamId: before.streamId })).rejects.toMatchObject(unavailable);
    const health = await fetch(server.url.replace(/\/trpc$/, '/healthz'));
    expect(health.status).toBe(200);

    await redis.start();
    const after = await vi.waitFor(() => client.sendMessage.mutate({ content: 'after' }), {
      timeout: 10_000,
      interval: 100,
    });
    expect((await watch(client, { streamId: after.streamId })).at(-1)?.type).toBe('done');
  });
});
