import { randomUUID } from 'node:crypto';
import type { StreamEvent, StreamEventBody, TerminalEventBody } from '@spool/shared';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  IndexConflictError,
  IndexOutOfRangeError,
  StreamEndedError,
  StreamNotFoundError,
} from '../../src/store/errors.ts';
import { RedisStreamStore } from '../../src/store/redis.ts';
import type { StoreTuning } from '../../src/store/tuning.ts';
import type { StreamStore } from '../../src/store/types.ts';

export interface StoreHarness {
  store: StreamStore;
  /** A second handle on the same streams (another server process), where the store has one. */
  peer(): Promise<StreamStore>;
  /** Live subscriptions still held, locally and in the backing service. */
  liveSubscriptions(): Promise<number>;
  close(): Promise<void>;
}

export type HarnessFactory = (tuning: Partial<StoreTuning>) => Promise<StoreHarness>;

const owner = { ownerId: 'user-1', leaseMs: 5_000 };
const token = (text: string): StreamEventBody => ({ type: 'token', text });
const done: TerminalEventBody = { type: 'done', finishReason: 'stop', usage: null };

async function collect(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

/** Appends `count` tokens then `done`; returns every event as appended. */
async function writeStream(store: StreamStore, streamId: string, count: number): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for (let i = 0; i < count; i++) events.push(await store.append(streamId, token(`t${i}`)));
  events.push(await store.append(streamId, done));
  return events;
}

function indexes(events: StreamEvent[]): number[] {
  return events.map((event) => event.index);
}

/** The StreamStore contract: every implementation must pass all of it. */
export function describeStreamStoreContract(name: string, open: HarnessFactory): void {
  describe(`${name} store contract`, () => {
    const harnesses: StoreHarness[] = [];
    const setup = async (tuning: Partial<StoreTuning> = {}) => {
      const harness = await open(tuning);
      harnesses.push(harness);
      return harness;
    };
    afterEach(async () => {
      await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
    });

    it('assigns contiguous indexes from 0 and replays them in order up to the terminal event', async () => {
      const { store } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      const written = await writeStream(store, streamId, 20);
      expect(indexes(written)).toEqual([...Array(21).keys()]);
      expect(await collect(store.read(streamId, { fromIndex: 0 }))).toEqual(written);
      expect(await store.meta(streamId)).toMatchObject({ ownerId: 'user-1', status: 'ended', length: 21 });
    });

    it('resumes from the middle and from the last index', async () => {
      const { store } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      const written = await writeStream(store, streamId, 10);
      expect(await collect(store.read(streamId, { fromIndex: 4 }))).toEqual(written.slice(4));
      expect(await collect(store.read(streamId, { fromIndex: 10 }))).toEqual(written.slice(10));
    });

    it('refuses a start index past the terminal event, or past the end of a running stream', async () => {
      const { store } = await setup();
      const ended = randomUUID();
      await store.create(ended, owner);
      await writeStream(store, ended, 3);
      await expect(collect(store.read(ended, { fromIndex: 4 }))).rejects.toBeInstanceOf(IndexOutOfRangeError);
      const running = randomUUID();
      await store.create(running, owner);
      await store.append(running, token('a'));
      await expect(collect(store.read(running, { fromIndex: 2 }))).rejects.toBeInstanceOf(IndexOutOfRangeError);
      expect(await harnesses[0]?.liveSubscriptions()).toBe(0);
    });

    it('says not found for a stream that does not exist, on every operation', async () => {
      const { store, liveSubscriptions } = await setup();
      const streamId = randomUUID();
      expect(await store.meta(streamId)).toBeNull();
      await expect(collect(store.read(streamId, { fromIndex: 0 }))).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(store.append(streamId, token('x'))).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(store.requestCancel(streamId)).rejects.toBeInstanceOf(StreamNotFoundError);
      expect(await liveSubscriptions()).toBe(0);
    });

    it('refuses appends and cancels after the terminal event', async () => {
      const { store } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      await writeStream(store, streamId, 1);
      await expect(store.append(streamId, token('late'))).rejects.toBeInstanceOf(StreamEndedError);
      await expect(store.requestCancel(streamId)).rejects.toBeInstanceOf(StreamEndedError);
    });

    it('delivers live events to many concurrent readers, each exactly once and in order', async () => {
      const { store, liveSubscriptions } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      await store.append(streamId, token('before'));
      const readers = Array.from({ length: 50 }, (_, i) => collect(store.read(streamId, { fromIndex: i % 2 })));
      const written = [{ type: 'token', text: 'before', index: 0 }, ...(await writeStream(store, streamId, 30))];
      written.forEach((event, i) => {
        event.index = i;
      });
      const results = await Promise.all(readers);
      results.forEach((events, i) => {
        expect(indexes(events)).toEqual([...Array(32).keys()].slice(i % 2));
      });
      expect(await liveSubscriptions()).toBe(0);
    });

    it('hands off from replay to live without losing or repeating an event, whatever the interleaving', async () => {
      const { store, liveSubscriptions } = await setup();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.constant('append' as const), fc.nat(12)), { minLength: 1, maxLength: 30 }),
          fc.array(fc.nat(3), { minLength: 30, maxLength: 30 }),
          async (steps, pauses) => {
            const streamId = randomUUID();
            await store.create(streamId, owner);
            let appended = 0;
            const readers: Promise<{ from: number; events: StreamEvent[] }>[] = [];
            const appends: Promise<StreamEvent>[] = [];
            for (const [i, step] of steps.entries()) {
              if (step === 'append') {
                appends.push(store.append(streamId, token(`t${appended}`)));
                appended += 1;
              } else {
                // A reader may only start at an index the log already has.
                const from = Math.min(step, (await Promise.all(appends)).length);
                readers.push(collect(store.read(streamId, { fromIndex: from })).then((events) => ({ from, events })));
              }
              for (let pause = 0; pause < (pauses[i] ?? 0); pause++) await new Promise(setImmediate);
            }
            await Promise.all(appends);
            await store.append(streamId, done);
            for (const { from, events } of await Promise.all(readers)) {
              expect(indexes(events)).toEqual([...Array(appended + 1).keys()].slice(from));
            }
          },
        ),
        { numRuns: 40 },
      );
      expect(await liveSubscriptions()).toBe(0);
    });

    it('lets a slow reader fall behind its live buffer and still get every event from the log', async () => {
      const { store, liveSubscriptions } = await setup({ liveCapacity: 4, pageSize: 8 });
      const streamId = randomUUID();
      await store.create(streamId, owner);
      const iterator = store.read(streamId, { fromIndex: 0 })[Symbol.asyncIterator]();
      const first = iterator.next();
      const written = await writeStream(store, streamId, 100);
      const events = [(await first).value as StreamEvent];
      for (let result = await iterator.next(); !result.done; result = await iterator.next()) events.push(result.value);
      expect(events).toEqual(written);
      expect(await liveSubscriptions()).toBe(0);
    });

    it('releases its live subscription when the reader aborts or returns early', async () => {
      const { store, liveSubscriptions } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      await store.append(streamId, token('a'));
      const controller = new AbortController();
      const readers = Array.from({ length: 20 }, () =>
        store.read(streamId, { fromIndex: 0, signal: controller.signal })[Symbol.asyncIterator](),
      );
      for (const reader of readers) expect((await reader.next()).value).toMatchObject({ index: 0 });
      const waiting = readers.map((reader) => reader.next());
      expect(await liveSubscriptions()).toBeGreaterThan(0);
      controller.abort();
      for (const result of await Promise.all(waiting)) expect(result.done).toBe(true);

      for await (const event of store.read(streamId, { fromIndex: 0 })) {
        expect(event.index).toBe(0);
        break;
      }
      await vi.waitFor(async () => expect(await liveSubscriptions()).toBe(0));
    });

    it('delivers a cancel request to the generator, also through another instance', async () => {
      const harness = await setup();
      const peer = await harness.peer();
      const streamId = randomUUID();
      await harness.store.create(streamId, owner);
      const controller = new AbortController();
      let cancelled = false;
      const watching = harness.store.whenCancelRequested(streamId, controller.signal).then(() => {
        cancelled = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(cancelled).toBe(false);
      await peer.requestCancel(streamId);
      await watching;
      expect(cancelled).toBe(true);
      // A generator that starts watching after the request still sees it.
      await harness.store.whenCancelRequested(streamId, controller.signal);
      expect(await harness.liveSubscriptions()).toBe(0);
    });

    it('ends a stream whose generator stopped renewing its lease, once, with a retryable error', async () => {
      const { store } = await setup({ idleMs: 50 });
      const streamId = randomUUID();
      await store.create(streamId, { ownerId: 'user-1', leaseMs: 100 });
      await store.append(streamId, token('partial'));
      const [a, b] = await Promise.all([
        collect(store.read(streamId, { fromIndex: 0 })),
        collect(store.read(streamId, { fromIndex: 1 })),
      ]);
      expect(a.map((event) => event.type)).toEqual(['token', 'error']);
      expect(a[1]).toMatchObject({ type: 'error', code: 'GENERATOR_LOST', retryable: true, index: 1 });
      expect(b).toEqual(a.slice(1));
      expect(await store.endIfAbandoned(streamId, { ...a[1], type: 'error' } as never)).toBe(false);
    });

    it('ends an abandoned stream with the final event its generator left, not with GENERATOR_LOST', async () => {
      const { store } = await setup({ idleMs: 50 });
      const streamId = randomUUID();
      await store.create(streamId, { ownerId: 'user-1', leaseMs: 100 });
      await store.append(streamId, token('all of it'));
      await store.setFinalEvent(streamId, { type: 'done', finishReason: 'stop', usage: null });
      const events = await collect(store.read(streamId, { fromIndex: 0 }));
      expect(events.at(-1)).toEqual({ type: 'done', index: 1, finishReason: 'stop', usage: null });
      expect(await store.endIfFinished(streamId)).toBe(false);
    });

    it('appends the final event on request, lease or not, once', async () => {
      const { store } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      await store.append(streamId, token('x'));
      expect(await store.endIfFinished(streamId)).toBe(false);
      await store.setFinalEvent(streamId, { type: 'done', finishReason: 'cancelled', usage: null });
      const [first, second] = await Promise.all([store.endIfFinished(streamId), store.endIfFinished(streamId)]);
      expect([first, second].sort()).toEqual([false, true]);
      expect((await store.readLog(streamId))?.map((event) => event.type)).toEqual(['token', 'done']);
      await expect(store.setFinalEvent(streamId, done)).rejects.toMatchObject({ code: 'STREAM_ENDED' });
    });

    it('appends a batch in order as one step, each event with its own index; a terminal event only last', async () => {
      const { store } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      await store.append(streamId, token('first'));
      const batch = await store.appendBatch(streamId, [token('a'), token('b'), done]);
      expect(indexes(batch)).toEqual([1, 2, 3]);
      expect(await collect(store.read(streamId, { fromIndex: 0 }))).toEqual([
        { ...token('first'), index: 0 },
        ...batch,
      ]);
      const other = randomUUID();
      await store.create(other, owner);
      await expect(store.appendBatch(other, [done, token('late')])).rejects.toBeInstanceOf(RangeError);
      await expect(store.appendBatch(streamId, [token('late')])).rejects.toBeInstanceOf(StreamEndedError);
      expect(await store.readLog(other)).toEqual([]);
    });

    it('appends a batch sent twice at its expected index once, and refuses one that expects another', async () => {
      const { store } = await setup();
      const streamId = randomUUID();
      await store.create(streamId, owner);
      const batch = [token('a'), token('b')];
      expect(indexes(await store.appendBatch(streamId, batch, 0))).toEqual([0, 1]);
      // What a client resending after a reconnect does, where the store can see it (Redis).
      if (store instanceof RedisStreamStore) {
        expect(indexes(await store.appendBatch(streamId, batch, 0))).toEqual([0, 1]);
      }
      await expect(store.appendBatch(streamId, [token('c')], 5)).rejects.toBeInstanceOf(IndexConflictError);
      expect(indexes(await store.appendBatch(streamId, [token('c'), done], 2))).toEqual([2, 3]);
      expect((await store.readLog(streamId))?.map((event) => event.index)).toEqual([0, 1, 2, 3]);
    });

    it('keeps a stream alive while its generator renews the lease', async () => {
      const { store } = await setup({ idleMs: 30 });
      const streamId = randomUUID();
      await store.create(streamId, { ownerId: 'user-1', leaseMs: 200 });
      const reading = collect(store.read(streamId, { fromIndex: 0 }));
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await store.renewLease(streamId);
      }
      await store.append(streamId, done);
      expect((await reading).map((event) => event.type)).toEqual(['done']);
    });

    it('forgets an ended stream after its TTL', async () => {
      const { store } = await setup({ logTtlMs: 100 });
      const streamId = randomUUID();
      await store.create(streamId, owner);
      await writeStream(store, streamId, 2);
      expect(await store.meta(streamId)).not.toBeNull();
      await vi.waitFor(async () => expect(await store.meta(streamId)).toBeNull(), { timeout: 3_000 });
    });
  });
}
