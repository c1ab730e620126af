import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../src/async-queue.ts';

describe('AsyncQueue', () => {
  it('hands values to readers in order, waiting readers first come first served', async () => {
    const queue = new AsyncQueue<number>();
    const first = queue.next();
    const second = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await second).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: 3, done: false });
  });

  it('end(error): the buffered values first, then the error, to every reader', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.end(new Error('gone'));
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    await expect(queue.next()).rejects.toThrow('gone');
    await expect(queue.next()).rejects.toThrow('gone');
  });

  it('abort(reason): buffered values dropped, waiting readers rejected at once', async () => {
    const queue = new AsyncQueue<number>();
    const reader = queue.next();
    queue.abort(new Error('stop'));
    await expect(reader).rejects.toThrow('stop');
    const buffered = new AsyncQueue<number>();
    buffered.push(1);
    buffered.abort(new Error('stop'));
    await expect(buffered.next()).rejects.toThrow('stop');
  });

  it('leaving a for-await loop ends the queue: later pushes are ignored', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    for await (const value of queue) if (value === 1) break;
    queue.push(3);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
