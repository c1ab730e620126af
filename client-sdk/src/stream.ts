import type { AppRouter } from '@spool/server';
import { isTerminalEvent, type StreamEvent, streamEventSchema } from '@spool/shared';
import type { TRPCClient } from '@trpc/client';
import { AsyncQueue } from './async-queue.ts';
import { SpoolError, toSpoolError } from './errors.ts';
import { type RetryPolicy, retryDelayMs, sleep } from './retry.ts';
import type { ActiveTransport } from './transports.ts';

/** Where a stream stands, for a UI: waiting for its first event, receiving, or restoring a dropped connection. */
export type StreamStatus = 'connecting' | 'streaming' | 'reconnecting';

export interface StreamOptions {
  /** First index to deliver; default 0. */
  fromIndex?: number;
  /** Stops watching (not the answer: see `cancel`); the iterator then throws the signal's reason. */
  signal?: AbortSignal;
  onStatus?: (status: StreamStatus) => void;
}

export interface StreamDeps {
  trpc: TRPCClient<AppRouter>;
  activeTransport(): Promise<ActiveTransport>;
  retry: RetryPolicy;
  /** Whether each connection asks for a token afresh (`getToken`), which can mend an expired one. */
  refreshesToken: boolean;
}

/** What one subscription attempt reports. */
type Signal =
  | { type: 'event'; event: StreamEvent }
  | { type: 'connected' }
  | { type: 'interrupted'; error: SpoolError }
  | { type: 'failed'; error: SpoolError }
  | { type: 'completed' };

/**
 * Every event of a stream from `fromIndex`, in order, each once, ending after the terminal event.
 * A dropped connection is resumed from the next index: a WebSocket reconnects by itself (tRPC
 * resends the subscription with the last event id), an SSE subscription is opened again here. After
 * `retry.maxAttempts` failures in a row with no event between them, or a failure that retrying
 * cannot mend (STREAM_NOT_FOUND, UNAUTHENTICATED...), it throws a `SpoolError`.
 */
export async function* resumableStream(
  deps: StreamDeps,
  streamId: string,
  options: StreamOptions = {},
): AsyncGenerator<StreamEvent, void> {
  const { signal } = options;
  let nextIndex = options.fromIndex ?? 0;
  let failures = 0;
  let status: StreamStatus | undefined;
  const setStatus = (next: StreamStatus) => {
    if (next === status) return;
    status = next;
    options.onStatus?.(next);
  };
  const fail = (error: SpoolError) => {
    failures += 1;
    // A token source is asked again at the next connection, so a refused token may be mended once.
    const mendable = error.retryable || (error.code === 'UNAUTHENTICATED' && deps.refreshesToken && failures === 1);
    if (!mendable || failures > deps.retry.maxAttempts) throw error;
    setStatus('reconnecting');
  };
  setStatus('connecting');
  for (;;) {
    signal?.throwIfAborted();
    const transport = await deps.activeTransport();
    signal?.throwIfAborted();
    const attempt = subscribe(deps.trpc, streamId, nextIndex, signal);
    try {
      for await (const signalled of attempt.signals) {
        if (signalled.type === 'event') {
          const { event } = signalled;
          if (event.index < nextIndex) continue; // delivered before a reconnect
          if (event.index > nextIndex) {
            fail(gap(nextIndex, event.index));
            break;
          }
          nextIndex += 1;
          failures = 0;
          setStatus('streaming');
          yield event;
          if (isTerminalEvent(event)) return;
        } else if (signalled.type === 'connected') {
          if (status === 'reconnecting') setStatus('streaming');
        } else if (signalled.type === 'interrupted') {
          fail(signalled.error);
          // tRPC's WebSocket client reconnects and resubscribes by itself; SSE is reopened here.
          if (transport === 'sse') break;
        } else {
          fail(
            signalled.type === 'failed'
              ? signalled.error
              : new SpoolError('CONNECTION_LOST', 'the subscription ended before the stream did', { retryable: true }),
          );
          break;
        }
      }
    } finally {
      attempt.close();
    }
    await sleep(retryDelayMs(deps.retry, failures - 1), signal);
  }
}

function gap(expected: number, got: number): SpoolError {
  return new SpoolError('CONNECTION_LOST', `expected event ${expected}, got ${got}: resubscribing from ${expected}`, {
    retryable: true,
  });
}

/** One tRPC subscription, its callbacks turned into signals to iterate over. */
function subscribe(trpc: TRPCClient<AppRouter>, streamId: string, fromIndex: number, signal: AbortSignal | undefined) {
  const signals = new AsyncQueue<Signal>();
  const onAbort = () => signals.end(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const subscription = trpc.stream.subscribe(
    { streamId, fromIndex },
    {
      onData(tracked) {
        const parsed = streamEventSchema.safeParse(tracked.data);
        if (parsed.success) signals.push({ type: 'event', event: parsed.data });
        else
          signals.end(
            new SpoolError(
              'INTERNAL',
              `the server sent an event this client does not understand: ${parsed.error.message}`,
              { retryable: false, cause: parsed.error },
            ),
          );
      },
      onConnectionStateChange(state) {
        if (state.state === 'pending') signals.push({ type: 'connected' });
        else if (state.state === 'connecting' && state.error) {
          signals.push({ type: 'interrupted', error: toSpoolError(state.error) });
        }
      },
      onError(error) {
        signals.push({ type: 'failed', error: toSpoolError(error) });
      },
      onComplete() {
        signals.push({ type: 'completed' });
      },
    },
  );
  return {
    signals,
    close() {
      signal?.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
      signals.end();
    },
  };
}
