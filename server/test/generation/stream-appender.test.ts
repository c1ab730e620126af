import { randomUUID } from 'node:crypto';
import type { StreamEvent, StreamEventBody } from '@spool/shared';
import { describe, expect, it } from 'vitest';
import { StreamAppender } from '../../src/generation/stream-appender.ts';
import { MemoryStreamStore } from '../../src/store/memory.ts';

const token = (text: string): StreamEventBody => ({ type: 'token', text });

/** A memory store whose batches are counted, each taking `delayMs` (a slow Redis). */
async function setup(maxQueued = 100, delayMs = 0) {
  const store = new MemoryStreamStore();
  const streamId = randomUUID();
  await store.create(streamId, { ownerId: 'user-1', leaseMs: 60_000 });
  const batches: number[] = [];
  const appendBatch = store.appendBatch.bind(store);
  store.appendBatch = async (id, bodies) => {
    batches.push(bodies.length);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return appendBatch(id, bodies);
  };
  const appended: StreamEvent[] = [];
  const appender = new StreamAppender({
    store,
    streamId,
    maxQueued,
    nextIndex: 0,
    onAppended: (event) => appended.push(event),
  });
  return { store, streamId, appender, appended, batches };
}

describe('a stream appender', () => {
  it('sends what arrives while a write is in flight together in the next one, in order', async () => {
    const { appender, appended, batches } = await setup();
    // A model's chunks arriving faster than the store answers: all ten before the first write is back.
    await Promise.all([...Array(10).keys()].map((i) => appender.write(token(`t${i}`))));
    await appender.flush();
    expect(appended.map((event) => event.index)).toEqual([...Array(10).keys()]);
    expect(appended.map((event) => (event.type === 'token' ? event.text : ''))).toEqual(
      [...Array(10).keys()].map((i) => `t${i}`),
    );
    expect(batches).toEqual([1, 9]);
  });

  it('holds a producer that awaits each write once its queue is full, until the store catches up', async () => {
    const { appender, batches } = await setup(3, 5);
    for (let i = 0; i < 10; i++) await appender.write(token(`t${i}`));
    await appender.flush();
    expect(Math.max(...batches)).toBeLessThanOrEqual(4);
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(10);
  });

  it('fails the next write and the flush once a write failed, and appends nothing after it', async () => {
    const { store, streamId, appender, appended } = await setup();
    await appender.write(token('kept'));
    await appender.flush();
    await store.append(streamId, { type: 'done', finishReason: 'cancelled', usage: null });
    await appender.write(token('refused'));
    await expect(appender.flush()).rejects.toMatchObject({ code: 'STREAM_ENDED' });
    await expect(appender.write(token('after'))).rejects.toMatchObject({ code: 'STREAM_ENDED' });
    expect(appended).toHaveLength(1);
    expect((await store.readLog(streamId))?.map((event) => event.type)).toEqual(['token', 'done']);
  });
});
