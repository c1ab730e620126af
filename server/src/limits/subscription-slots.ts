import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';
import type { SpoolMetrics } from '../metrics/spool-metrics.ts';
import type { UserContext } from '../trpc/init.ts';
import { type ConnectionCounts, tooManyConnections } from './connection-counts.ts';
import type { RequestRate } from './request-rate.ts';

export interface SubscriptionLimits {
  rate: RequestRate;
  /** SSE streams count as connections (each is one); WebSockets are counted where they open. */
  connections: ConnectionCounts;
  subscriptionsPerConnection: number;
  /** Counts the subscriptions open, and those that resume, by transport; unset: nothing is counted. */
  metrics?: SpoolMetrics | undefined;
}

/**
 * A WebSocket subscription takes one of its connection's slots; an SSE subscription is a connection
 * of its own and counts against the user's connections. Returns what gives it back (once); throws a
 * Spool error when there is no slot. `fromIndex` past 0 is a client resuming.
 */
export function takeSubscriptionSlot(ctx: UserContext, limits: SubscriptionLimits, fromIndex: number): () => void {
  const { subscriptions } = ctx;
  let release: () => void;
  if (subscriptions) {
    if (subscriptions.active >= limits.subscriptionsPerConnection) {
      throw new SpoolError(
        SpoolErrorCode.tooManySubscriptions,
        `a connection carries at most ${limits.subscriptionsPerConnection} subscriptions`,
      );
    }
    subscriptions.active++;
    release = () => subscriptions.active--;
  } else {
    if (!limits.connections.tryOpen(ctx.userId)) throw tooManyConnections();
    release = () => limits.connections.close(ctx.userId);
  }
  const { metrics } = limits;
  if (!metrics) return release;
  const labels = { transport: subscriptions ? 'ws' : 'sse' };
  metrics.subscribers.inc(labels);
  if (fromIndex > 0) metrics.resumes.inc(labels);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
    metrics.subscribers.dec(labels);
  };
}
