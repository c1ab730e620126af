import { describe, expect, it } from 'vitest';
import { FifoSemaphore, QueueDeadlineError } from '../../src/limits/fifo-semaphore.ts';

describe('FifoSemaphore', () => {
  it('grants slots first come first served as holders give theirs back, each only once', async () => {
    const semaphore = new FifoSemaphore(2);
    const order: number[] = [];
    const releases = await Promise.all([semaphore.acquire(), semaphore.acquire()]);
    const waiting = [3, 4, 5].map((n) =>
      semaphore.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    expect(semaphore.waiting).toBe(3);
    const [first, second] = releases as [() => void, () => void];
    first();
    first(); // a second call gives nothing back twice
    const third = await waiting[0];
    expect(order).toEqual([3]);
    expect(semaphore.held).toBe(2);
    second();
    third?.();
    await Promise.all(waiting.slice(1));
    expect(order).toEqual([3, 4, 5]);
    expect(semaphore.waiting).toBe(0);
  });

  it('refuses a waiter at its deadline and serves the next one in its place', async () => {
    const semaphore = new FifoSemaphore(1);
    const release = await semaphore.acquire();
    const late = semaphore.acquire(Date.now() + 20);
    const patient = semaphore.acquire();
    await expect(late).rejects.toBeInstanceOf(QueueDeadlineError);
    release();
    const next = await patient;
    expect(semaphore.held).toBe(1);
    next();
    expect(semaphore.held).toBe(0);
  });
});
