import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';
import type { UserContext } from '../trpc/init.ts';
import { type ConnectionCounts, tooManyConnections } from './connection-counts.ts';
import type { RequestRate } from './request-rate.ts';

export interface SubscriptionLimits {
  rate: RequestRate;
  /** SSE streams count as connections (each is one); WebSockets are counted where they open. */
  connections: ConnectionCounts;
  subscriptionsPerConnection: number;
}

/**
 * A WebSocket subscription takes one of its connection's slots; an SSE subscription is a connection
 * of its own and counts against the user's connections. Returns what gives it back; throws a Spool
 * error when there is no slot.
 */
export function takeSubscriptionSlot(ctx: UserContext, limits: SubscriptionLimits): () => void {
  const { subscriptions } = ctx;
  if (subscriptions) {
    if (subscriptions.active >= limits.subscriptionsPerConnection) {
      throw new SpoolError(
        SpoolErrorCode.tooManySubscriptions,
        `a connection carries at most ${limits.subscriptionsPerConnection} subscriptions`,
      );
    }
    subscriptions.active++;
    return () => subscriptions.active--;
  }
  if (!limits.connections.tryOpen(ctx.userId)) throw tooManyConnections();
  return () => limits.connections.close(ctx.userId);
}
