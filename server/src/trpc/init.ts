import { SpoolErrorCode } from '@spool/shared';
import { initTRPC, TRPCError } from '@trpc/server';
import { SpoolError } from '../errors.ts';

/**
 * What Spool's procedures read from the context. An app that mounts Spool provides `userId` from
 * its own authentication: null or undefined for a caller it did not authenticate, whom every Spool
 * procedure refuses with UNAUTHORIZED.
 */
export interface SpoolContext {
  /** Who is calling: the token's `sub`, the one local user of the development mode, or the host app's user. */
  userId: string | null | undefined;
  /** Why the caller has no user, when the transport knows (a refused token): what each procedure answers. */
  authError?: TRPCError;
  /** WebSocket: this connection's live subscriptions, counted against the per-connection limit. */
  subscriptions?: { active: number };
  /** Set where the transport does not apply backpressure itself (WebSocket): awaited before each event. */
  waitForDrain?: () => Promise<void> | undefined;
}

/** A context whose caller is known. */
export type UserContext = SpoolContext & { userId: string };

/** The caller's user id, or the error that refuses a caller without one. */
export function requireUser(ctx: SpoolContext): string {
  if (typeof ctx.userId === 'string' && ctx.userId !== '') return ctx.userId;
  throw (
    ctx.authError ??
    new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'no user: sign in first (an app mounting Spool sets `userId` in its tRPC context)',
      cause: new SpoolError(SpoolErrorCode.unauthenticated, 'no user in the context'),
    })
  );
}

/** tRPC's SSE settings for Spool's subscriptions; an app that mounts Spool passes them to its own `initTRPC.create()`. */
export const spoolSseOptions = {
  // Pings keep proxies from closing a quiet stream; a client that hears nothing for longer reconnects.
  ping: { enabled: true, intervalMs: 10_000 },
  client: { reconnectAfterInactivityMs: 25_000 },
};

/**
 * tRPC for Spool: every error carries a Spool code in `data.spoolCode`, so clients branch on
 * `STREAM_NOT_FOUND` or `INDEX_OUT_OF_RANGE` rather than on message text.
 */
export const t = initTRPC.context<SpoolContext>().create({ sse: spoolSseOptions, errorFormatter: spoolErrorFormatter });

/** Adds `data.spoolCode`; an app that mounts Spool calls it from its own error formatter (see `spoolErrorData`). */
export function spoolErrorFormatter<TShape extends { data: object }>({
  shape,
  error,
}: {
  shape: TShape;
  error: TRPCError;
}) {
  return { ...shape, data: { ...shape.data, ...spoolErrorData(error) } };
}

/** The Spool part of an error's `data`, for an app's own error formatter: `{ ...shape.data, ...spoolErrorData(error) }`. */
export function spoolErrorData(error: TRPCError): { spoolCode: SpoolErrorCode } {
  return { spoolCode: spoolCodeOf(error) };
}

/** A Spool error's own code; otherwise a request tRPC refused is invalid input, and the rest is ours. */
function spoolCodeOf(error: TRPCError): SpoolErrorCode {
  if (error.cause instanceof SpoolError) return error.cause.code;
  if (error.code === 'UNAUTHORIZED') return SpoolErrorCode.unauthenticated;
  if (error.code === 'INTERNAL_SERVER_ERROR') return SpoolErrorCode.internal;
  return SpoolErrorCode.invalidInput;
}
