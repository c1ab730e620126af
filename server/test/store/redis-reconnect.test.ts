import { randomUUID } from 'node:crypto';
import type { StreamEvent } from '@spool/shared';
import { describe, expect, it, vi } from 'vitest';
import { openRedisStore, uniquePrefix } from '../helpers/redis.ts';

describe('Redis store after its subscriber connection drops', () => {
  it('re-subscribes and re-reads the log, so events published during the gap still arrive', async () => {
    // A long idle time: only the reconnect handling, not the idle re-check, can deliver the gap.
    const { store, redis, subscriber, close } = await openRedisStore(uniquePrefix(), { idleMs: 60_000 });
    const streamId = randomUUID();
    await store.create(streamId, { ownerId: 'user-1', leaseMs: 60_000 });
    await store.append(streamId, { type: 'token', text: 'before' });

    const reader = store.read(streamId, { fromIndex: 0 })[Symbol.asyncIterator]();
    expect((await reader.next()).value).toMatchObject({ index: 0 });
    const rest = (async () => {
      const events: StreamEvent[] = [];
      for (let result = await reader.next(); !result.done; result = await reader.next()) events.push(result.value);
      return events;
    })();

    const subscriberId = Number(await subscriber.client('ID'));
    const reconnected = new Promise((resolve) => subscriber.once('ready', resolve));
    await redis.client('KILL', 'ID', subscriberId);
    for (let i = 0; i < 5; i++) await store.append(streamId, { type: 'token', text: `gap ${i}` });
    await store.append(streamId, { type: 'done', finishReason: 'stop', usage: null });
    await reconnected;

    const events = await rest;
    expect(events.map((event) => event.index)).toEqual([1, 2, 3, 4, 5, 6]);
    // Nothing but the instance's own cancel channel.
    await vi.waitFor(() => expect(store.subscribedChannelCount).toBe(1));
    await close();
  });

  it('hears a cancel requested while it was away: the generator’s cancel flag is read again', async () => {
    const { store, redis, subscriber, close } = await openRedisStore(uniquePrefix());
    const streamId = randomUUID();
    await store.create(streamId, { ownerId: 'user-1', leaseMs: 60_000 });
    const stop = new AbortController();
    let cancelled = false;
    const watching = store.whenCancelRequested(streamId, stop.signal).then(() => {
      cancelled = true;
    });
    const reconnected = new Promise((resolve) => subscriber.once('ready', resolve));
    await redis.client('KILL', 'ID', Number(await subscriber.client('ID')));
    // Published while nobody of this instance listens: only the flag keeps it.
    await store.requestCancel(streamId);
    await reconnected;
    await watching;
    expect(cancelled).toBe(true);
    await close();
  });
});
