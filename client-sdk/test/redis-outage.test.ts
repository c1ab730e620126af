import { describe, expect, it } from 'vitest';
import { startOwnRedis } from '../../server/test/helpers/own-redis.ts';
import { uniquePrefix } from '../../server/test/helpers/redis.ts';
import { startTestServer } from '../../server/test/helpers/server.ts';
import type { Transport } from '../src/transports.ts';
import { collect, spoolClient } from './helpers/sdk.ts';

async function serverWithOwnRedis() {
  const redis = await startOwnRedis();
  const server = await startTestServer({ redis: { url: redis.url }, redisPrefix: uniquePrefix(), demoTokens: 10 });
  return { redis, server };
}

describe.each<Exclude<Transport, 'auto'>>(['ws', 'sse'])('while Redis is down (%s)', (transport) => {
  it('a stream gives up after its retries with STORE_UNAVAILABLE, instead of trying forever', async () => {
    const { redis, server } = await serverWithOwnRedis();
    const spool = spoolClient({ url: server.url, transport, retry: { maxRetries: 2, baseDelayMs: 20 } });
    const { streamId } = await spool.chat('before the outage');
    await redis.stop();

    await expect(collect(spool.stream(streamId))).rejects.toMatchObject({
      name: 'SpoolError',
      code: 'STORE_UNAVAILABLE',
      retryable: true,
    });
  });

  it('a stream that waits through a short outage gets the whole answer once Redis is back', async () => {
    const { redis, server } = await serverWithOwnRedis();
    const spool = spoolClient({
      url: server.url,
      transport,
      retry: { maxRetries: 50, baseDelayMs: 20, maxDelayMs: 100 },
    });
    const answer = await spool.chat('before the outage');
    const before = await collect(spool.stream(answer.streamId));
    await redis.stop();

    let restarted: Promise<void> | undefined;
    const during = await collect(
      spool.stream(answer.streamId, {
        onStatus: (status) => {
          if (status === 'reconnecting') restarted ??= redis.start();
        },
      }),
    );
    await restarted;
    expect(restarted).toBeDefined();
    // Redis came back empty: the saved answer is replayed from PostgreSQL, event for event.
    expect(during).toEqual(before);
  });
});
