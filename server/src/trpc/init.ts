import { SpoolErrorCode } from '@spool/shared';
import { initTRPC, type TRPCError } from '@trpc/server';
import { SpoolError } from '../errors.ts';

export interface SpoolContext {
  /** Who is calling: the token's `sub`, or the one local user of the development mode. */
  userId: string;
  /** WebSocket: this connection's live subscriptions, counted against the per-connection limit. */
  subscriptions?: { active: number };
  /** Set where the transport does not apply backpressure itself (WebSocket): awaited before each event. */
  waitForDrain?: () => Promise<void> | undefined;
}

/**
 * tRPC for Spool: every error carries a Spool code in `data.spoolCode`, so clients branch on
 * `STREAM_NOT_FOUND` or `INDEX_OUT_OF_RANGE` rather than on message text.
 */
export const t = initTRPC.context<SpoolContext>().create({
  sse: {
    // Pings keep proxies from closing a quiet stream; a client that hears nothing for longer reconnects.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter: spoolErrorFormatter,
});

/** Adds `data.spoolCode`; an app that mounts Spool's router in its own passes this to its `initTRPC.create()`. */
export function spoolErrorFormatter<TShape extends { data: object }>({
  shape,
  error,
}: {
  shape: TShape;
  error: TRPCError;
}) {
  return { ...shape, data: { ...shape.data, spoolCode: spoolCodeOf(error) } };
}

/** A Spool error's own code; otherwise a request tRPC refused is invalid input, and the rest is ours. */
function spoolCodeOf(error: TRPCError): SpoolErrorCode {
  if (error.cause instanceof SpoolError) return error.cause.code;
  if (error.code === 'INTERNAL_SERVER_ERROR') return SpoolErrorCode.internal;
  return SpoolErrorCode.invalidInput;
}
