import {
  isRetryableErrorCode,
  SpoolErrorCode,
  type StreamEvent,
  spoolCodeOfCloseCode,
  spoolErrorCodeSchema,
} from '@spool/shared';

/** Codes only the client gives; the server never sends them. */
export const SpoolClientErrorCode = {
  /** The connection dropped and could not be restored within the retry policy, or a call got no answer in time. */
  connectionLost: 'CONNECTION_LOST',
  /** `client.close()` was called: what was still running ends with this. */
  clientClosed: 'CLIENT_CLOSED',
  /** `createSpoolClient` was given options it cannot work with (a URL that is not HTTP(S), an unknown transport). */
  invalidOptions: 'INVALID_OPTIONS',
  /** The URL answers, but not as Spool: a wrong path (the tRPC endpoint is usually `.../trpc`), or a wrong `path` prefix. */
  endpointNotFound: 'ENDPOINT_NOT_FOUND',
} as const;

export type SpoolClientErrorCode = SpoolErrorCode | (typeof SpoolClientErrorCode)[keyof typeof SpoolClientErrorCode];

export type ErrorEvent = Extract<StreamEvent, { type: 'error' }>;

export interface SpoolErrorOptions {
  retryable: boolean;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** Every failure the SDK reports: a code to branch on, and whether trying again can succeed. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
  readonly code: SpoolClientErrorCode;
  readonly retryable: boolean;
  /** With PROVIDER_RATE_LIMITED: how long the provider asked to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: SpoolClientErrorCode, message: string, options: SpoolErrorOptions) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The answer itself failed: its terminal `error` event. */
  static fromEvent(event: ErrorEvent): SpoolError {
    return new SpoolError(event.code, event.message, {
      retryable: event.retryable,
      retryAfterMs: event.retryAfterMs,
      cause: event,
    });
  }
}

/**
 * What went wrong with a call or a connection, as a `SpoolError`: the server's Spool code when it
 * sent one (tRPC errors carry it in `data.spoolCode`), the meaning of a WebSocket close code, and
 * otherwise a network failure, which is worth retrying.
 */
export function toSpoolError(error: unknown): SpoolError {
  // The client's own errors, as raised inside a link, reach the caller wrapped by tRPC.
  for (const cause of causesOf(error)) if (cause instanceof SpoolError) return cause;
  const message = error instanceof Error ? error.message : String(error);
  const code = spoolCodeIn(error);
  if (code) return new SpoolError(code, message, { retryable: isRetryableErrorCode(code), cause: error });
  return connectionLost(message || 'the connection to Spool failed', error);
}

/** The client's own retryable failure: the connection, not the answer. */
export function connectionLost(message: string, cause?: unknown): SpoolError {
  return new SpoolError(SpoolClientErrorCode.connectionLost, message, { retryable: true, cause });
}

/** An error and its causes, outermost first (a few levels: tRPC wraps WebSocket events twice). */
export function* causesOf(error: unknown): Generator<Record<string, unknown>> {
  for (let cause = error, depth = 0; isObject(cause) && depth < 5; cause = cause.cause, depth++) yield cause;
}

/**
 * Looks through an error and its causes for a Spool code, a WebSocket close code that stands for one,
 * or, from an app whose error formatter leaves Spool's code out, the tRPC code's nearest meaning.
 */
function spoolCodeIn(error: unknown): SpoolErrorCode | undefined {
  for (const cause of causesOf(error)) {
    const data = cause.data;
    if (isObject(data)) {
      const parsed = spoolErrorCodeSchema.safeParse(data.spoolCode);
      if (parsed.success) return parsed.data;
      if (typeof data.code === 'string') return spoolCodeOfTrpcCode[data.code] ?? SpoolErrorCode.internal;
    }
    if (typeof cause.code === 'number') {
      const code = spoolCodeOfCloseCode(cause.code);
      if (code) return code;
    }
  }
  return undefined;
}

/** What a tRPC code says when a mounting app's formatter gave no Spool code; the rest is INTERNAL (not retried). */
const spoolCodeOfTrpcCode: Partial<Record<string, SpoolErrorCode>> = {
  UNAUTHORIZED: SpoolErrorCode.unauthenticated,
  BAD_REQUEST: SpoolErrorCode.invalidInput,
  PARSE_ERROR: SpoolErrorCode.invalidInput,
  TOO_MANY_REQUESTS: SpoolErrorCode.rateLimited,
  SERVICE_UNAVAILABLE: SpoolErrorCode.storeUnavailable,
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
