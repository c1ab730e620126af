import { describe, expect, it } from 'vitest';
import { PerUserQueries } from '../../src/limits/per-user-queries.ts';

/** A query that runs until `finish()` is called. */
function held() {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { query: () => done, finish: () => finish() };
}

describe('PerUserQueries', () => {
  it("runs a user's reads a few at a time, in order, and leaves another user's alone", async () => {
    const queries = new PerUserQueries({ concurrency: 2, perSecond: 1_000, burst: 10 });
    const first = held();
    const second = held();
    const started: string[] = [];
    const run = (name: string, query: () => Promise<void>, user = 'mallory') =>
      queries.run(user, () => {
        started.push(name);
        return query();
      });
    const runs = [run('a', first.query), run('b', second.query), run('c', async () => {})];
    await run('ada', async () => {}, 'ada');
    expect(started).toEqual(['a', 'b', 'ada']);
    first.finish();
    await runs[2];
    expect(started).toEqual(['a', 'b', 'ada', 'c']);
    second.finish();
    await Promise.all(runs);
  });

  it('takes a waiting read out of the line when its signal aborts, with no token spent', async () => {
    const queries = new PerUserQueries({ concurrency: 1, perSecond: 1, burst: 2 });
    const first = held();
    const running = queries.run('mallory', first.query);
    const abandoned = new AbortController();
    let ranAbandoned = false;
    const waiting = queries.run(
      'mallory',
      async () => {
        ranAbandoned = true;
      },
      abandoned.signal,
    );
    abandoned.abort(new Error('the subscription closed'));
    await expect(waiting).rejects.toThrow('the subscription closed');
    first.finish();
    await running;
    // The burst's second token is still there: the next read runs at once.
    let ranNext = false;
    await queries.run('mallory', async () => {
      ranNext = true;
    });
    expect(ranNext).toBe(true);
    expect(ranAbandoned).toBe(false);
    await expect(queries.run('mallory', async () => {}, AbortSignal.abort())).rejects.toThrow();
  });
});
