import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { EncodedEvent } from '../../src/delivery/encoded-event.ts';
import type { Subscriber, Watch } from '../../src/delivery/subscriber.ts';
import type { StreamStore } from '../../src/store/types.ts';

/** A subscriber that records what it is given, and can stop taking writes (a slow socket) on demand. */
class TestWatcher implements Subscriber {
  readonly from: number;
  readonly indexes: number[] = [];
  readonly settled = Promise.withResolvers<'ended' | 'failed'>();
  overWrites = 0;
  failure: unknown;
  watch: Watch | undefined;
  #blocked = false;
  #unblocked = Promise.withResolvers<void>();

  constructor(from: number, slow: boolean) {
    this.from = from;
    this.setBlocked(slow);
  }

  setBlocked(blocked: boolean): void {
    this.#blocked = blocked;
    if (blocked) return;
    this.#unblocked.resolve();
    this.#unblocked = Promise.withResolvers<void>();
  }

  write(encoded: EncodedEvent): void {
    if (this.#blocked) this.overWrites += 1;
    this.indexes.push(encoded.event.index);
  }
  writable = () => !this.#blocked;
  whenWritable = () => this.#unblocked.promise;
  end = () => this.settled.resolve('ended');
  fail = (error: unknown) => {
    this.failure = error;
    this.settled.resolve('failed');
  };
}

type Step =
  | { kind: 'append'; count: number }
  | { kind: 'watch'; from: number; slow: boolean }
  | { kind: 'stop' | 'toggle'; which: number }
  | { kind: 'pause'; turns: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('watch' as const), from: fc.nat(40), slow: fc.boolean() }),
  fc.record({ kind: fc.oneof(fc.constant('stop' as const), fc.constant('toggle' as const)), which: fc.nat(30) }),
  fc.record({ kind: fc.constant('pause' as const), turns: fc.nat(3) }),
);

/**
 * The fan-out's promise, over random interleavings of appends, watchers starting anywhere in the log,
 * slow watchers (not writable for a while), and watchers that leave: each watcher gets every index from
 * its start exactly once, in order, never while it is not writable; those that stay end with the terminal
 * event; nothing is left watching.
 */
export function itDeliversEveryIndexOnceInOrder(open: () => Promise<StreamStore>, numRuns: number): void {
  it('delivers every index once, in order, to every watcher, whatever the appends, starts, slow sockets and leaves', async () => {
    const store = await open();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const streamId = randomUUID();
        await store.create(streamId, { ownerId: 'user-1', leaseMs: 60_000 });
        const appends: Promise<unknown>[] = [];
        let appended = 0;
        let logged = 0;
        const watchers: TestWatcher[] = [];
        const stopped = new Set<TestWatcher>();
        for (const next of steps) {
          if (next.kind === 'append') {
            for (let i = 0; i < next.count; i++) {
              appends.push(store.append(streamId, { type: 'token', text: `t${appended++}` }).then(() => logged++));
            }
          } else if (next.kind === 'watch') {
            const watcher = new TestWatcher(Math.min(next.from, logged), next.slow);
            watcher.watch = store.watch(streamId, watcher.from, watcher);
            watchers.push(watcher);
          } else if (next.kind === 'pause') {
            for (let turn = 0; turn < next.turns; turn++) await new Promise(setImmediate);
          } else {
            const watcher = watchers[next.which % Math.max(1, watchers.length)];
            if (!watcher) continue;
            if (next.kind === 'toggle') watcher.setBlocked(watcher.writable());
            else if (!stopped.has(watcher)) {
              watcher.watch?.stop();
              stopped.add(watcher);
            }
          }
        }
        await Promise.all(appends);
        const terminal = (await store.append(streamId, { type: 'done', finishReason: 'stop', usage: null })).index;
        for (const watcher of watchers) watcher.setBlocked(false);
        for (const watcher of watchers) {
          const expected = Array.from({ length: terminal - watcher.from + 1 }, (_, i) => watcher.from + i);
          if (stopped.has(watcher)) {
            expect(watcher.indexes).toEqual(expected.slice(0, watcher.indexes.length));
          } else {
            expect({ settled: await watcher.settled.promise, failure: watcher.failure }).toEqual({ settled: 'ended' });
            expect(watcher.indexes).toEqual(expected);
          }
          expect(watcher.overWrites).toBe(0);
        }
        expect(store.watcherCount).toBe(0);
      }),
      { numRuns },
    );
  });
}
