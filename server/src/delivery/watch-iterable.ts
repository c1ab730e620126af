import type { StreamEvent } from '@spool/shared';
import type { Subscriber, Watch } from './subscriber.ts';

export interface WatchIterableOptions {
  /** Events held for a reader that is not pulling; past it the cursor waits and reads on from the log. */
  capacity: number;
  signal?: AbortSignal | undefined;
}

/**
 * A watch as an async iterable, for the generic tRPC path and for code that reads a stream: the
 * subscriber is a bounded queue that the iterator drains. Aborting `signal` ends the iteration quietly;
 * a failure is thrown after the events before it.
 */
export async function* watchIterable(
  start: (subscriber: Subscriber) => Watch,
  options: WatchIterableOptions,
): AsyncGenerator<StreamEvent, void> {
  const { capacity, signal } = options;
  const items: StreamEvent[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const release = () => {
    const resume = drained;
    drained = undefined;
    resume?.();
  };
  const subscriber: Subscriber = {
    write: (encoded) => {
      items.push(encoded.event);
      notify();
    },
    writable: () => items.length < capacity,
    whenWritable: () => new Promise<void>((resolve) => (drained = resolve)),
    end: () => {
      ended = true;
      notify();
    },
    fail: (error) => {
      failure = { error };
      notify();
    },
  };
  signal?.addEventListener('abort', notify);
  const watch = signal?.aborted ? undefined : start(subscriber);
  try {
    while (!signal?.aborted) {
      const event = items.shift();
      if (event) {
        if (items.length <= capacity / 2) release();
        yield event;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    watch?.stop();
    signal?.removeEventListener('abort', notify);
    release();
  }
}
