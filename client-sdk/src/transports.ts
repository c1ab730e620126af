import type { AppRouter } from '@spool/server';
import { createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCLink, wsLink } from '@trpc/client';
import { EventSource } from 'eventsource';

export type Transport = 'ws' | 'sse';

export interface TransportLinks {
  links: TRPCLink<AppRouter>[];
  close(): Promise<void>;
}

/** A bearer token, asked for at every (re)connection so that a refreshed one is picked up. */
export type TokenSource = () => string | Promise<string>;

/**
 * The tRPC links of a transport. 'ws': everything over one WebSocket, reconnecting by itself.
 * 'sse': subscriptions over Server-Sent Events, the rest over batched HTTP. With `token`: in
 * `connectionParams` on WS and SSE (SSE puts it in the URL: keep those tokens short-lived), as
 * `Authorization: Bearer` on HTTP.
 */
export function transportLinks(url: string, transport: Transport, token?: TokenSource): TransportLinks {
  const connectionParams = token ? async () => ({ token: await token() }) : undefined;
  if (transport === 'ws') {
    const client = createWSClient({ url: url.replace(/^http/, 'ws'), connectionParams });
    return { links: [wsLink<AppRouter>({ client })], close: () => client.close() };
  }
  return {
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink<AppRouter, typeof EventSource>({ url, EventSource, connectionParams }),
        false: httpBatchLink({
          url,
          headers: async () => (token ? { authorization: `Bearer ${await token()}` } : {}),
        }),
      }),
    ],
    close: async () => {},
  };
}
