import type { AppRouter } from '@spool/server/router';
import { isTerminalEvent, SpoolErrorCode, type StreamEvent } from '@spool/shared';
import type { TRPCClient } from '@trpc/client';
import { connectionLost, type SpoolError } from './errors.ts';
import { type RetryPolicy, retryDelayMs, sleep } from './retry.ts';
import { subscribeOnce } from './subscription.ts';
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
  activeTransport(signal: AbortSignal | undefined): Promise<ActiveTransport>;
  retry: RetryPolicy;
  /** Whether each connection asks for a token afresh (`getToken`), which can mend an expired one. */
  refreshesToken: boolean;
  /** Makes the next connection ask for a token afresh (a refused WebSocket may linger a moment). */
  renewConnection(): void;
}

/**
 * Every event of a stream from `fromIndex`, in order, each once, ending after the terminal event.
 * A dropped connection is resumed from the next index: a WebSocket reconnects by itself (tRPC
 * resends the subscription with the last event id), an SSE subscription is opened again here. After
 * `retry.maxRetries` failed reconnects in a row with no event between them, or a failure that
 * retrying cannot mend (STREAM_NOT_FOUND, UNAUTHENTICATED...), it throws a `SpoolError`.
 */
export async function* resumableStream(
  deps: StreamDeps,
  streamId: string,
  options: StreamOptions = {},
): AsyncGenerator<StreamEvent, void> {
  const { signal } = options;
  let nextIndex = options.fromIndex ?? 0;
  let failures = 0;
  let tokenRefused = false;
  let status: StreamStatus | undefined;
  const setStatus = (next: StreamStatus) => {
    if (next === status) return;
    status = next;
    options.onStatus?.(next);
  };
  /** Counts a failure, and throws it when it cannot be mended or the retries are spent. */
  const fail = (error: SpoolError) => {
    // A token source is asked again at the next connection: a refused token is worth one more try.
    const freshToken = error.code === SpoolErrorCode.unauthenticated && deps.refreshesToken && !tokenRefused;
    if (error.code === SpoolErrorCode.unauthenticated) tokenRefused = true;
    failures += 1;
    if (!(error.retryable || freshToken) || failures > deps.retry.maxRetries) throw error;
    if (freshToken) deps.renewConnection();
    setStatus('reconnecting');
  };

  setStatus('connecting');
  for (;;) {
    const transport = await deps.activeTransport(signal);
    const attempt = subscribeOnce(deps.trpc, streamId, nextIndex, signal);
    try {
      for await (const notice of attempt.notices) {
        if (notice.type === 'event') {
          const { event } = notice;
          if (event.index < nextIndex) continue; // delivered before a reconnect
          if (event.index > nextIndex) {
            fail(connectionLost(`expected event ${nextIndex}, got ${event.index}`));
            break;
          }
          nextIndex += 1;
          failures = 0;
          tokenRefused = false;
          setStatus('streaming');
          yield event;
          if (isTerminalEvent(event)) return;
        } else if (notice.type === 'connected') {
          if (status === 'reconnecting') setStatus('streaming');
        } else if (notice.type === 'interrupted') {
          fail(notice.error);
          // tRPC's WebSocket client reconnects and resubscribes by itself; SSE is reopened here.
          if (transport === 'sse') break;
        } else {
          fail(
            notice.type === 'failed' ? notice.error : connectionLost('the subscription ended before the stream did'),
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
