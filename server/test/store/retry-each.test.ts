import { describe, expect, it, vi } from 'vitest';
import { retryEach } from '../../src/store/retry-each.ts';

describe('retryEach', () => {
  it('runs again only what failed, while it is wanted, and reports one round in ten', async () => {
    const runs = new Map<string, number>();
    const rounds: [number, number][] = [];
    let done = false;
    // 'a' succeeds at once, 'b' on its 13th run; 'c' keeps failing and stops being wanted after its 3rd.
    retryEach(['a', 'b', 'c'], {
      run: async (item) => {
        const count = (runs.get(item) ?? 0) + 1;
        runs.set(item, count);
        if (item === 'b' && count === 13) done = true;
        if (item === 'a' || (item === 'b' && count >= 13)) return;
        throw new Error(`${item} failed`);
      },
      retryMs: () => 1,
      wanted: (item) => item !== 'c' || (runs.get('c') ?? 0) < 3,
      onFailures: (_error, failed, round) => rounds.push([round, failed]),
    });
    await vi.waitFor(() => expect(done).toBe(true));
    expect(Object.fromEntries(runs)).toEqual({ a: 1, b: 13, c: 3 });
    expect(rounds).toEqual([
      [0, 2],
      [10, 1],
    ]);
  });

  it('stops after a round with no retry', async () => {
    const failures: number[] = [];
    let runs = 0;
    retryEach(['x'], {
      run: async () => {
        runs++;
        throw new Error('away');
      },
      retryMs: () => undefined,
      wanted: () => true,
      onFailures: (_error, failed) => failures.push(failed),
    });
    await vi.waitFor(() => expect(failures).toEqual([1]));
    expect(runs).toBe(1);
  });
});
