import type { IncomingMessage } from 'node:http';
import { webSocketCloseCodes } from '@spool/shared';
import { TRPCError } from '@trpc/server';
import type { WebSocket } from 'ws';
import type { Authenticator, Identity } from '../auth/authenticator.ts';
import { toTRPCError } from '../errors.ts';
import { type ConnectionCounts, tooManyConnections } from '../limits/connection-counts.ts';
import { socketBackpressure } from '../transports/backpressure.ts';
import type { SpoolContext } from './init.ts';

/** Node's timers overflow past this (about 24.8 days): a longer wait is taken in steps. */
const maxTimerMs = 2 ** 31 - 1;

interface ContextInput {
  req: IncomingMessage;
  info: { connectionParams: Record<string, string | undefined> | null };
}

/** HTTP and SSE: `Authorization: Bearer`, or `connectionParams.token` (how SSE clients send it). */
export function createHttpContext(auth: Authenticator) {
  return async ({ req, info }: ContextInput): Promise<SpoolContext> => {
    const identity = await identify(auth, req, info);
    return { userId: identity.userId };
  };
}

/**
 * WebSocket: the token comes in `connectionParams`, once per connection. A connection without a valid
 * one gets its context all the same, one that refuses every request with the token's error (so any
 * tRPC client hears UNAUTHORIZED on the requests it sent, rather than a close it would retry forever),
 * and is closed with 4401 a moment later. So is one whose token expires: the client comes back with a
 * fresh token and resumes where it was.
 */
export function createWsContext(auth: Authenticator, maxBufferedBytes: number, connections: ConnectionCounts) {
  return async ({ req, res, info }: ContextInput & { res: WebSocket }): Promise<SpoolContext> => {
    let identity: Identity;
    try {
      identity = await identify(auth, req, info);
    } catch (error) {
      if (!(error instanceof TRPCError) || error.code !== 'UNAUTHORIZED') {
        if (error instanceof TRPCError && error.code === 'SERVICE_UNAVAILABLE') {
          res.close(webSocketCloseCodes.tryAgainLater, 'authentication is unavailable; try again later');
        }
        throw error;
      }
      closeSoon(res, webSocketCloseCodes.unauthenticated, 'unauthenticated: a valid token is required');
      return { userId: null, authError: error };
    }
    // Closed while the token was checked: its 'close' has fired already, so nothing would give a slot back.
    if (res.readyState !== res.OPEN) throw new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'closed' });
    if (!connections.tryOpen(identity.userId)) {
      const refused = tooManyConnections();
      res.close(webSocketCloseCodes.tooManyConnections, refused.message);
      throw toTRPCError(refused);
    }
    res.once('close', () => connections.close(identity.userId));
    if (identity.expiresAt !== undefined) closeAtExpiry(res, identity.expiresAt);
    return { userId: identity.userId, ...webSocketContext(res, maxBufferedBytes) };
  };
}

/**
 * Spool's parts of a WebSocket connection's context: its subscriptions counted against the
 * per-connection limit, and backpressure on its events. An app serving Spool over its own
 * WebSocket server spreads them into its context (`services.webSocketContext(socket)`).
 */
export function webSocketContext(
  socket: WebSocket,
  maxBufferedBytes: number,
): Required<Pick<SpoolContext, 'subscriptions' | 'waitForDrain'>> {
  return { subscriptions: { active: 0 }, waitForDrain: socketBackpressure(socket, maxBufferedBytes) };
}

/** How long a refused connection stays open for its requests to hear why. */
const refusedGraceMs = 1_000;

function closeSoon(socket: WebSocket, code: number, reason: string): void {
  const timer = setTimeout(() => socket.close(code, reason), refusedGraceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

async function identify(auth: Authenticator, req: IncomingMessage, info: ContextInput['info']): Promise<Identity> {
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  try {
    return await auth.authenticate(bearer ?? info.connectionParams?.token);
  } catch (error) {
    throw toTRPCError(error);
  }
}

function closeAtExpiry(socket: WebSocket, expiresAt: number): void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const waitMs = expiresAt - Date.now();
    timer = setTimeout(
      () =>
        waitMs > maxTimerMs
          ? arm()
          : socket.close(webSocketCloseCodes.unauthenticated, 'token expired: reconnect with a fresh one'),
      Math.min(Math.max(0, waitMs), maxTimerMs),
    );
    timer.unref();
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
}
