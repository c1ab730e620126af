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
 * one is closed with 4401; so is one whose token expires, and the client comes back with a fresh
 * token and resumes where it was.
 */
export function createWsContext(auth: Authenticator, maxBufferedBytes: number, connections: ConnectionCounts) {
  return async ({ req, res, info }: ContextInput & { res: WebSocket }): Promise<SpoolContext> => {
    let identity: Identity;
    try {
      identity = await identify(auth, req, info);
    } catch (error) {
      const unavailable = error instanceof TRPCError && error.code === 'SERVICE_UNAVAILABLE';
      if (unavailable) res.close(webSocketCloseCodes.tryAgainLater, 'authentication is unavailable; try again later');
      else res.close(webSocketCloseCodes.unauthenticated, 'unauthenticated: a valid token is required');
      throw error;
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
    return {
      userId: identity.userId,
      subscriptions: { active: 0 },
      waitForDrain: socketBackpressure(res, maxBufferedBytes),
    };
  };
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
