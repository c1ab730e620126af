import { isTerminalEvent, SpoolErrorCode, type StreamEvent } from '@spool/shared';
import { IndexOutOfRangeError, StoreError, StreamNotFoundError } from './errors.ts';
import { LiveQueue } from './live-queue.ts';

export interface LogPage {
  events: StreamEvent[];
  length: number;
  ended: boolean;
}

/** What a store gives `follow` for one stream. */
export interface FollowSource {
  /** Subscribes a queue to the stream's live events; resolves only once the subscription is confirmed. */
  subscribe(queue: LiveQueue): Promise<() => void>;
  /** Up to `limit` events from `fromIndex`, with the log's length and state; null if the stream is gone. */
  readPage(fromIndex: number, limit: number): Promise<LogPage | null>;
  /** Called when nothing arrived for a while: ends the stream if its generator is gone. */
  endIfAbandoned(): Promise<void>;
}

export interface FollowOptions {
  streamId: string;
  fromIndex: number;
  signal?: AbortSignal | undefined;
  /** Events read from the log per round trip. */
  pageSize: number;
  /** Live events buffered per subscriber before it falls back to the log. */
  liveCapacity: number;
  /** Quiet time after which the reader re-checks the log and the generator's lease. */
  idleMs: number;
}

/**
 * The replay-to-live handoff, shared by every store. Subscribe to live events and wait for the
 * subscription to be confirmed; only then read the log from `fromIndex`. Live events below the next
 * expected index are skipped; one above it means a gap, filled from the log. The log is the truth:
 * pub/sub only wakes the reader, so a lost or dropped live message costs a re-read, never an event.
 */
export async function* follow(source: FollowSource, options: FollowOptions): AsyncGenerator<StreamEvent, void> {
  const { streamId, signal } = options;
  const queue = new LiveQueue({ capacity: options.liveCapacity, idleMs: options.idleMs, signal });
  let unsubscribe: (() => void) | undefined;
  try {
    unsubscribe = await source.subscribe(queue);
    let next = options.fromIndex;
    let checkedRange = false;
    while (!signal?.aborted) {
      const page = await source.readPage(next, options.pageSize);
      if (!page) {
        if (!checkedRange) throw new StreamNotFoundError(streamId);
        throw new StoreError(SpoolErrorCode.streamLost, `stream ${streamId} vanished from the store while being read`);
      }
      if (!checkedRange) {
        const last = page.ended ? page.length - 1 : page.length;
        if (next > last) throw new IndexOutOfRangeError(streamId, next, page.length, page.ended);
        checkedRange = true;
      }
      for (const event of page.events) {
        yield event;
        next = event.index + 1;
        if (isTerminalEvent(event)) return;
      }
      if (page.events.length === options.pageSize) continue;

      live: for (;;) {
        const message = await queue.next();
        switch (message) {
          case 'aborted':
            return;
          case 'resync':
            break live;
          case 'idle':
            await source.endIfAbandoned();
            break live;
        }
        if (message.index < next) continue;
        if (message.index > next) break;
        yield message;
        next += 1;
        if (isTerminalEvent(message)) return;
      }
    }
  } finally {
    unsubscribe?.();
    queue.close();
  }
}
