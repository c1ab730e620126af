import type { AppRouter } from '@spool/server/router';
import { type SendMessageInput, type SendMessageOutput, SpoolErrorCode, type StreamEvent } from '@spool/shared';
import { createTRPCClient, type TRPCClient } from '@trpc/client';
import type { DataTransformerOptions } from '@trpc/server/unstable-core-do-not-import';
import { type ChatOptions, type ChatReply, startChat } from './chat.ts';
import { checkedPath, checkedTransport, checkedUrl } from './client-options.ts';
import { connectionLost, SpoolClientErrorCode, SpoolError, toSpoolError } from './errors.ts';
import { defaultRetryPolicy, type RetryPolicy, retryDelayMs, sleep } from './retry.ts';
import { resumableStream, type StreamOptions } from './stream.ts';
import {
  type ActiveTransport,
  type KeepAlive,
  openConnection,
  type TokenSource,
  type Transport,
} from './transports.ts';
import { type WatchHandlers, watchStream } from './watch.ts';

export interface SpoolClientOptions {
  /** The server's tRPC URL, e.g. `http://127.0.0.1:3000/trpc` (checked at creation). */
  url: string;
  /** Where an app mounts Spool's router in its own, e.g. `'spool'` for `t.router({ spool: mountSpool(t, services) })`. */
  path?: string;
  /** Default 'auto': WebSocket, or SSE when a WebSocket cannot be opened (checked at creation). */
  transport?: Transport;
  /** The app's tRPC transformer when it mounts Spool with one (superjson, say); Spool's own server has none. */
  transformer?: DataTransformerOptions;
  /** A WebSocket class to use instead of the runtime's (Node 22.4+ and browsers have one; in older Node, the `ws` package). */
  WebSocket?: typeof globalThis.WebSocket;
  /** An EventSource class for SSE (browsers have one; in Node the `eventsource` package is used). */
  EventSource?: typeof globalThis.EventSource;
  /** For a server with authentication: the user's JWT. */
  token?: string;
  /** Or a function that returns one, asked at every (re)connection so that a refreshed token is used. */
  getToken?: TokenSource;
  /** How dropped streams are retried; default 8 attempts, 250 ms doubling up to 5 s. */
  retry?: Partial<RetryPolicy>;
  /** How long 'auto' waits for a WebSocket to open before it takes SSE; default 3 s. */
  probeTimeoutMs?: number;
  /** How long a call (sendMessage, cancel) may wait for an answer, reconnecting included; default 15 s. */
  requestTimeoutMs?: number;
  /** WebSocket pings, to notice a connection that went silent: default every 10 s of quiet, 5 s to answer. */
  keepAlive?: Partial<KeepAlive>;
}

/** What `createSpoolClient` returns. */
export interface SpoolClient {
  /** The raw tRPC client, for the procedures this one does not wrap (history, say). */
  trpc: TRPCClient<AppRouter>;
  /** The transport in use ('ws' or 'sse'); with 'auto', it is chosen at the first call. */
  activeTransport(): Promise<ActiveTransport>;
  /**
   * Starts an answer and returns its ids at once; the answer streams through `stream()`. Sent again
   * (with the retry policy) when the instance it reached is shutting down (`SHUTTING_DOWN`).
   */
  sendMessage(input: SendMessageInput): Promise<SendMessageOutput>;
  /**
   * Every event of a stream from `fromIndex`, typed and in order, each once, ending after the
   * terminal event (`done`, or `error` when the answer failed). A dropped connection is resumed
   * from the next index by itself; a failure it cannot mend is thrown as a `SpoolError`.
   */
  stream(streamId: string, options?: StreamOptions): AsyncGenerator<StreamEvent, void>;
  /** The callbacks form of `stream()`; returns the function that stops watching. */
  watch(streamId: string, handlers: WatchHandlers): () => void;
  /** Sends `content` and streams its answer: iterate for text deltas, await `result` for the whole. */
  chat(content: string, options?: ChatOptions): ChatReply;
  /** Stops a generating answer, for every watcher; it ends with `done` (finishReason 'cancelled'). */
  cancel(streamId: string): Promise<void>;
  /** Closes the live connections as a network failure would; streams resume over new ones. For demos and tests. */
  dropConnection(): void;
  /** Closes the connections; streams still open, and calls made afterwards, fail with CLIENT_CLOSED. */
  close(): Promise<void>;
}

/**
 * Spool's client: send a message, stream its typed events (resuming by itself after a dropped
 * connection), cancel. Works in Node (22+) and browsers.
 *
 * @example
 * const spool = createSpoolClient({ url: 'http://127.0.0.1:3000/trpc' });
 * const reply = spool.chat('Why is the sky blue?');
 * for await (const text of reply) process.stdout.write(text);
 */
export function createSpoolClient(options: SpoolClientOptions): SpoolClient {
  const { token, getToken } = options;
  const retry = { ...defaultRetryPolicy, ...options.retry };
  const connection = openConnection({
    url: checkedUrl(options.url),
    prefix: checkedPath(options.path),
    transport: checkedTransport(options.transport),
    transformer: options.transformer,
    WebSocket: options.WebSocket,
    EventSource: options.EventSource,
    token: getToken ?? (token === undefined ? undefined : () => token),
    retry,
    probeTimeoutMs: options.probeTimeoutMs ?? 3_000,
    keepAlive: { intervalMs: 10_000, pongTimeoutMs: 5_000, ...options.keepAlive },
  });
  const trpc = createTRPCClient<AppRouter>({ links: connection.links });
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const closed = new AbortController();
  /** A call, bounded in time (a WebSocket would otherwise wait for a server that never returns), its failure a SpoolError. */
  const call = async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    closed.signal.throwIfAborted();
    const signal = AbortSignal.timeout(requestTimeoutMs);
    try {
      return await run(signal);
    } catch (error) {
      if (!signal.aborted) throw toSpoolError(error);
      throw connectionLost(`no answer from Spool within ${requestTimeoutMs} ms`, error);
    }
  };
  const streamDeps = {
    trpc,
    activeTransport: connection.activeTransport,
    retry,
    refreshesToken: getToken !== undefined,
    renewConnection: connection.renew,
  };

  const client: SpoolClient = {
    trpc,
    activeTransport(): Promise<ActiveTransport> {
      return connection.activeTransport();
    },
    async sendMessage(input: SendMessageInput): Promise<SendMessageOutput> {
      for (let attempt = 0; ; attempt++) {
        try {
          return await call((signal) => trpc.sendMessage.mutate(input, { signal }));
        } catch (error) {
          // An instance shutting down refuses before it starts anything: sent again, the message
          // reaches another instance (the refusal closed the HTTP connection; a WebSocket moves).
          const shuttingDown = error instanceof SpoolError && error.code === SpoolErrorCode.shuttingDown;
          if (!shuttingDown || attempt >= retry.maxRetries) throw error;
          await sleep(retryDelayMs(retry, attempt), closed.signal);
        }
      }
    },
    stream(streamId: string, streamOptions: StreamOptions = {}): AsyncGenerator<StreamEvent, void> {
      const { signal } = streamOptions;
      return resumableStream(streamDeps, streamId, {
        ...streamOptions,
        signal: signal ? AbortSignal.any([signal, closed.signal]) : closed.signal,
      });
    },
    watch(streamId: string, handlers: WatchHandlers): () => void {
      return watchStream((streamOptions) => client.stream(streamId, streamOptions), handlers);
    },
    chat(content: string, chatOptions: ChatOptions = {}): ChatReply {
      return startChat(client, content, chatOptions);
    },
    async cancel(streamId: string): Promise<void> {
      await call((signal) => trpc.cancelStream.mutate({ streamId }, { signal }));
    },
    dropConnection(): void {
      connection.drop();
    },
    close(): Promise<void> {
      closed.abort(
        new SpoolError(SpoolClientErrorCode.clientClosed, 'the Spool client was closed', { retryable: false }),
      );
      return connection.close();
    },
  };
  return client;
}
