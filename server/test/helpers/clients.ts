import type { StreamEvent, StreamInput } from '@spool/shared';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  wsLink,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import { expect, onTestFinished } from 'vitest';
import type { AppRouter } from '../../src/trpc/router.ts';

export type Transport = 'ws' | 'sse';
export type TestClient = TRPCClient<AppRouter>;

export interface ConnectOptions {
  /** A bearer token, asked for at each (re)connection: `Authorization` on HTTP, `connectionParams` on WS and SSE. */
  token?: () => string;
  /** WebSocket: called with the close code whenever the socket closes. */
  onClose?: (code: number | undefined) => void;
}

/** A real tRPC client over WebSocket (everything on one socket, reconnecting fast) or SSE + HTTP. */
export function connect(url: string, transport: Transport, options: ConnectOptions = {}): TestClient {
  const { token } = options;
  const connectionParams = token ? () => ({ token: token() }) : undefined;
  if (transport === 'ws') {
    const ws = createWSClient({
      url: url.replace(/^http/, 'ws'),
      retryDelayMs: () => 20,
      connectionParams,
      onClose: (cause) => options.onClose?.(cause?.code),
    });
    onTestFinished(() => ws.close());
    return createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
  }
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink<AppRouter, typeof EventSource>({ url, EventSource, connectionParams }),
        false: httpBatchLink({ url, headers: () => (token ? { authorization: `Bearer ${token()}` } : {}) }),
      }),
    ],
  });
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Called with each event as it arrives. */
  onEvent?: (event: StreamEvent) => void;
  /** Leave (unsubscribe) after the event of this index instead of waiting for the terminal one. */
  leaveAfterIndex?: number;
}

/** Subscribes to `stream` and collects the events until the terminal one (or the abort, or `leaveAfterIndex`). */
export async function watch(
  client: TestClient,
  input: StreamInput,
  options: WatchOptions = {},
): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  const subscription = client.stream.subscribe(input, { signal: options.signal });
  for await (const tracked of subscription) {
    expect(tracked.id).toBe(String(tracked.data.index));
    events.push(tracked.data);
    options.onEvent?.(tracked.data);
    if (tracked.data.type === 'done' || tracked.data.type === 'error') break;
    if (tracked.data.index === options.leaveAfterIndex) break;
  }
  return events;
}

/** The answer's text: its tokens, joined. */
export function textOf(events: StreamEvent[]): string {
  return events.map((event) => (event.type === 'token' ? event.text : '')).join('');
}

/** The newest saved message of a conversation (the answer, once one is saved). */
export async function lastSaved(client: TestClient, conversationId: string) {
  const [newest] = (await client.listMessages.query({ conversationId, limit: 1 })).items;
  return newest;
}

/** Indexes `from..to` inclusive. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * Cancels `streamId` through `client` once a watcher sees the event of `index`: pass `onEvent` to
 * `watch`, then await `settled()` so that a failed cancel fails the test.
 */
export function cancelAt(client: TestClient, streamId: string, index: number) {
  let cancelling: Promise<unknown> | undefined;
  return {
    onEvent(event: StreamEvent) {
      if (event.index === index) cancelling ??= client.cancelStream.mutate({ streamId });
    },
    async settled() {
      if (!cancelling) throw new Error(`the stream never reached index ${index}`);
      await cancelling;
    },
  };
}

/** The item at `i`, round the list (`i % length`): for handing work to a few clients in turn. */
export function inTurn<T>(items: readonly T[], i: number): T {
  const item = items[i % items.length];
  if (item === undefined) throw new Error('inTurn: no items');
  return item;
}
