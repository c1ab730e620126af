import type { AppRouter } from '@spool/server';
import { createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCLink, wsLink } from '@trpc/client';
import { EventSource } from 'eventsource';

export type Transport = 'ws' | 'sse';

export interface TransportLinks {
  links: TRPCLink<AppRouter>[];
  close(): Promise<void>;
}

/**
 * The tRPC links of a transport. 'ws': everything over one WebSocket, reconnecting by itself.
 * 'sse': subscriptions over Server-Sent Events, the rest over batched HTTP.
 */
export function transportLinks(url: string, transport: Transport): TransportLinks {
  if (transport === 'ws') {
    const client = createWSClient({ url: url.replace(/^http/, 'ws') });
    return { links: [wsLink<AppRouter>({ client })], close: () => client.close() };
  }
  return {
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink<AppRouter, typeof EventSource>({ url, EventSource }),
        false: httpBatchLink({ url }),
      }),
    ],
    close: async () => {},
  };
}
