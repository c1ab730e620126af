import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { describe, expect, it, vi } from 'vitest';
import { RedisStreamStore } from '../../src/store/redis.ts';
import type { AppRouter } from '../../src/trpc/router.ts';
import { connect, type Transport, watch } from '../helpers/clients.ts';
import { openRedisStore, uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

const cycles = 1_000;
const concurrency = 25;

/** One watcher that connects, gets its first event, and drops its connection. */
async function connectAndDrop(url: string, transport: Transport, streamId: string): Promise<void> {
  if (transport === 'ws') {
    const ws = createWSClient({ url: url.replace(/^http/, 'ws') });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
    const first = await client.stream.subscribe({ streamId }).next();
    expect(first.value?.data.type).toBe('start');
    await ws.close();
    return;
  }
  // Over SSE, the subscription is the connection: aborting it closes the EventSource.
  const leaving = new AbortController();
  const subscription = connect(url, 'sse').stream.subscribe({ streamId }, { signal: leaving.signal });
  const first = await subscription.next();
  expect(first.value?.data.type).toBe('start');
  leaving.abort();
}

describe.each(['sse', 'ws'] as const)('watchers that drop over %s', (transport) => {
  it(`leave no listener, watcher, timer, connection or channel subscription behind after ${cycles} connect/drop cycles`, async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({ redisPrefix: prefix, demoTokens: 100_000, demoTokensPerSecond: 5 });
    const store = server.services.store;
    if (!(store instanceof RedisStreamStore)) throw new Error('expected the Redis store');
    const observer = await openRedisStore(prefix);
    const client = connect(server.url, 'ws');
    const { streamId } = await client.sendMessage.mutate({ content: 'a long answer' });
    const channel = observer.store.channelOf(streamId);
    const subscribers = async () => ((await observer.redis.pubsub('NUMSUB', channel)) as [string, number])[1];
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

    // Only the generator's cancel watch remains once every watcher has gone.
    const baseline = { listeners: store.liveListenerCount, timers: timers() };
    for (let done = 0; done < cycles; done += concurrency) {
      await Promise.all(Array.from({ length: concurrency }, () => connectAndDrop(server.url, transport, streamId)));
    }

    await vi.waitFor(
      () => {
        expect(store.liveListenerCount).toBe(baseline.listeners);
        expect(store.watcherCount).toBe(0);
        // The test's own WebSocket is the one connection left.
        expect(server.services.connections.openFor('local')).toBe(1);
        // Fan-out sweeps and SSE pings are one interval each, whatever the number of watchers.
        expect(timers()).toBeLessThanOrEqual(baseline.timers + 2);
      },
      { timeout: 5_000 },
    );
    expect(await subscribers()).toBe(0);
    await client.cancelStream.mutate({ streamId });
    // Nothing but the instance's own cancel channel.
    await vi.waitFor(() => expect(store.subscribedChannelCount).toBe(1));
    await observer.close();
  });
});

describe.each(['sse', 'ws'] as const)('watchers that finish over %s', (transport) => {
  it('give their subscription slot back exactly once', async () => {
    const server = await startTestServer({ demoTokens: 3 });
    const client = connect(server.url, transport);
    const { streamId } = await client.sendMessage.mutate({ content: 'short' });
    // Another connection of the same user stays open, so a slot given back twice would show.
    await connect(server.url, 'ws').listConversations.query({});
    const { connections } = server.services;
    const before = connections.openFor('local');
    expect(before).toBeGreaterThan(0);
    await Promise.all([watch(client, { streamId }), watch(client, { streamId })]);
    await vi.waitFor(() => expect(connections.openFor('local')).toBe(before));
    expect(server.services.store.watcherCount).toBe(0);
  });
});
