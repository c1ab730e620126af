import type { AppRouter } from '@spool/server';
import { type SendMessageInput, type SendMessageOutput, type StreamEvent, streamEventSchema } from '@spool/shared';
import { createTRPCClient } from '@trpc/client';
import { type TokenSource, type Transport, transportLinks } from './transports.ts';

export interface SpoolClientOptions {
  /** The server's tRPC URL, e.g. `http://127.0.0.1:3000/trpc`. */
  url: string;
  /** Default 'ws'. */
  transport?: Transport;
  /** For a server with authentication: the user's JWT, asked for at every (re)connection. */
  token?: TokenSource;
}

export interface StreamOptions {
  /** First index to deliver; default 0. */
  fromIndex?: number;
  signal?: AbortSignal;
}

/** Spool's client: send a message, stream its typed events, cancel. */
export function createSpoolClient(options: SpoolClientOptions) {
  const transport = options.transport ?? 'ws';
  const { links, close } = transportLinks(options.url, transport, options.token);
  const trpc = createTRPCClient<AppRouter>({ links });

  return {
    transport,
    trpc,
    sendMessage(input: SendMessageInput): Promise<SendMessageOutput> {
      return trpc.sendMessage.mutate(input);
    },
    /** Every event from `fromIndex`, validated, ending after the terminal event. */
    async *stream(streamId: string, streamOptions: StreamOptions = {}): AsyncGenerator<StreamEvent, void> {
      const { fromIndex, signal } = streamOptions;
      const events = trpc.stream.subscribe({ streamId, fromIndex }, { signal });
      for await (const tracked of events) {
        const event = streamEventSchema.parse(tracked.data);
        yield event;
        if (event.type === 'done' || event.type === 'error') return;
      }
    },
    cancel(streamId: string) {
      return trpc.cancelStream.mutate({ streamId });
    },
    close,
  };
}

export type SpoolClient = ReturnType<typeof createSpoolClient>;
