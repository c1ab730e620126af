import { SpoolErrorCode } from '@spool/shared';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';

/** An error with a Spool code; the tRPC layer turns it into a typed procedure error. */
export class SpoolError extends Error {
  readonly code: SpoolErrorCode;
  constructor(code: SpoolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

const trpcCodeOf: Partial<Record<SpoolErrorCode, TRPC_ERROR_CODE_KEY>> = {
  [SpoolErrorCode.invalidInput]: 'BAD_REQUEST',
  [SpoolErrorCode.unauthenticated]: 'UNAUTHORIZED',
  [SpoolErrorCode.authUnavailable]: 'SERVICE_UNAVAILABLE',
  [SpoolErrorCode.indexOutOfRange]: 'BAD_REQUEST',
  [SpoolErrorCode.streamNotFound]: 'NOT_FOUND',
  [SpoolErrorCode.conversationNotFound]: 'NOT_FOUND',
  [SpoolErrorCode.streamEnded]: 'CONFLICT',
  [SpoolErrorCode.requestInProgress]: 'CONFLICT',
  [SpoolErrorCode.tooManyStreams]: 'TOO_MANY_REQUESTS',
  [SpoolErrorCode.rateLimited]: 'TOO_MANY_REQUESTS',
  [SpoolErrorCode.tooManySubscriptions]: 'TOO_MANY_REQUESTS',
  [SpoolErrorCode.tooManyConnections]: 'TOO_MANY_REQUESTS',
  [SpoolErrorCode.streamLost]: 'NOT_FOUND',
  [SpoolErrorCode.storeUnavailable]: 'SERVICE_UNAVAILABLE',
  [SpoolErrorCode.databaseUnavailable]: 'SERVICE_UNAVAILABLE',
  [SpoolErrorCode.serverBusy]: 'SERVICE_UNAVAILABLE',
  [SpoolErrorCode.shuttingDown]: 'SERVICE_UNAVAILABLE',
};

/**
 * A typed procedure error for anything a procedure throws; Spool's own errors keep their message.
 * Spool's typed errors are built without a stack: it would only ever point here, and tRPC formats
 * it into every error shape outside production, which made a refusal cost more than a success.
 */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof SpoolError) {
    const code = trpcCodeOf[error.code] ?? 'INTERNAL_SERVER_ERROR';
    return withoutStack(() => new TRPCError({ code, message: error.message, cause: error }));
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: error });
}

function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
