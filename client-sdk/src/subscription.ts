import type { AppRouter } from '@spool/server/router';
import { SpoolErrorCode, type StreamEvent, streamEventSchema } from '@spool/shared';
import type { TRPCClient } from '@trpc/client';
import { AsyncQueue } from './async-queue.ts';
import { causesOf, SpoolError, toSpoolError } from './errors.ts';

/** What one subscription attempt reports, in order. */
export type Notice =
  | { type: 'event'; event: StreamEvent }
  | { type: 'connected' }
  /** The connection dropped, or an attempt to restore it failed. */
  | { type: 'interrupted'; error: SpoolError }
  | { type: 'failed'; error: SpoolError }
  | { type: 'completed' };

export interface Subscription {
  notices: AsyncIterableIterator<Notice>;
  close(): void;
}

/**
 * One tRPC subscription to a stream, its callbacks turned into notices to iterate over. Aborting
 * `signal` ends the notices at once (what is buffered is dropped) with the signal's reason.
 */
export function subscribeOnce(
  trpc: TRPCClient<AppRouter>,
  streamId: string,
  fromIndex: number,
  signal: AbortSignal | undefined,
): Subscription {
  const notices = new AsyncQueue<Notice>();
  const onAbort = () => notices.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  // A WebSocket subscription first hears the client's connection state as it is; an error in it
  // belongs to a drop before this subscription existed.
  let heardState = false;
  const subscription = trpc.stream.subscribe(
    { streamId, fromIndex },
    {
      onData(tracked) {
        const parsed = streamEventSchema.safeParse(tracked.data);
        if (parsed.success) notices.push({ type: 'event', event: parsed.data });
        else {
          const message = `the server sent an event this client does not understand: ${parsed.error.message}`;
          notices.end(new SpoolError(SpoolErrorCode.internal, message, { retryable: false, cause: parsed.error }));
        }
      },
      onConnectionStateChange(state) {
        const first = !heardState;
        heardState = true;
        if (state.state === 'pending') notices.push({ type: 'connected' });
        else if (state.state === 'connecting' && state.error && !first && !isSocketErrorEvent(state.error)) {
          notices.push({ type: 'interrupted', error: toSpoolError(state.error) });
        }
      },
      onError(error) {
        notices.push({ type: 'failed', error: toSpoolError(error) });
      },
      onComplete() {
        notices.push({ type: 'completed' });
      },
    },
  );
  return {
    notices,
    close() {
      signal?.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
      notices.end();
    },
  };
}

/**
 * Whether a connection error is tRPC's report of an open WebSocket's `error` event. A WebSocket
 * always fires `close` after `error` and tRPC reports both ("WebSocket closed"), so only the
 * `close` counts as the drop. A failed reconnect ("Initialization error") counts, as does an
 * EventSource's `error`, which has no `close` after it.
 */
function isSocketErrorEvent(error: unknown): boolean {
  for (const cause of causesOf(error)) {
    if (cause.name !== 'TRPCWebSocketClosedError') continue;
    const inner = cause.cause;
    const errorEvent = typeof inner === 'object' && inner !== null && 'type' in inner && inner.type === 'error';
    return errorEvent && cause.message === 'WebSocket closed';
  }
  return false;
}
