import { z } from 'zod';

/**
 * Every Spool error code, in one place. A code names what went wrong; the tRPC error code
 * (BAD_REQUEST, NOT_FOUND, ...) on a procedure error says which class of HTTP status it is.
 */
export const SpoolErrorCode = {
  /** Input failed its schema. */
  invalidInput: 'INVALID_INPUT',
  /** No valid token: missing, malformed, expired, or not signed by a trusted key. */
  unauthenticated: 'UNAUTHENTICATED',
  /** Tokens cannot be checked right now (the identity provider's keys are out of reach). */
  authUnavailable: 'AUTH_UNAVAILABLE',
  /** No such stream, or not the caller's. */
  streamNotFound: 'STREAM_NOT_FOUND',
  /** No such conversation, or not the caller's. */
  conversationNotFound: 'CONVERSATION_NOT_FOUND',
  /** The stream has already ended: it cannot be cancelled or appended to. */
  streamEnded: 'STREAM_ENDED',
  /** A resume index that the stream does not have. */
  indexOutOfRange: 'INDEX_OUT_OF_RANGE',
  /** The stream store (Redis) could not be reached. */
  storeUnavailable: 'STORE_UNAVAILABLE',
  /** The user already has as many answers generating as they may; one must end first. */
  tooManyStreams: 'TOO_MANY_STREAMS',
  /** The user sent more requests this minute than they may; the message says when to go on. */
  rateLimited: 'RATE_LIMITED',
  /** This connection already carries as many subscriptions as it may. */
  tooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  /** The user already holds as many connections (WebSocket or SSE) as they may. */
  tooManyConnections: 'TOO_MANY_CONNECTIONS',
  /** An earlier request with the same `clientMessageId` is still being handled. */
  requestInProgress: 'REQUEST_IN_PROGRESS',
  /** Too many answers were starting at once for this one to start within the server's start deadline; nothing was started. */
  serverBusy: 'SERVER_BUSY',
  /** The database (PostgreSQL) could not be reached; nothing was saved. */
  databaseUnavailable: 'DATABASE_UNAVAILABLE',
  /** The stream's log vanished while it was being written (e.g. Redis restarted without persistence). */
  streamLost: 'STREAM_LOST',
  /** The process generating the answer stopped renewing its lease: it died or was cut off. */
  generatorLost: 'GENERATOR_LOST',
  /** The server is shutting down and ended the generation. */
  shuttingDown: 'SHUTTING_DOWN',
  /** No generation worker took the answer within the queue timeout; nothing was generated. */
  queueTimeout: 'QUEUE_TIMEOUT',
  /** The model provider failed on its side (5xx). */
  providerError: 'PROVIDER_ERROR',
  /** The model provider refused Spool's credentials (401, 403). */
  providerAuth: 'PROVIDER_AUTH',
  /** The model provider does not know the model (404). */
  modelNotFound: 'MODEL_NOT_FOUND',
  /** The model provider refused the request as it is (400, 422: too long a conversation, say). */
  providerRejected: 'PROVIDER_REJECTED',
  /** The model provider asked to slow down (429); the error event says after how long to try again. */
  providerRateLimited: 'PROVIDER_RATE_LIMITED',
  /** The model provider sent something that is not a well-formed stream chunk. */
  providerBadResponse: 'PROVIDER_BAD_RESPONSE',
  /** The connection to the model provider failed or was cut mid-answer. */
  providerConnectionLost: 'PROVIDER_CONNECTION_LOST',
  /** The model provider sent no first token, or no chunk for too long, within the configured times. */
  providerTimeout: 'PROVIDER_TIMEOUT',
  /** Anything else: a bug. */
  internal: 'INTERNAL',
} as const;

export type SpoolErrorCode = (typeof SpoolErrorCode)[keyof typeof SpoolErrorCode];

export const spoolErrorCodeSchema = z.enum(Object.values(SpoolErrorCode) as [SpoolErrorCode, ...SpoolErrorCode[]]);

/** Codes after which trying again (resubscribing, resending) can succeed. */
export const retryableErrorCodes: ReadonlySet<SpoolErrorCode> = new Set<SpoolErrorCode>([
  SpoolErrorCode.storeUnavailable,
  SpoolErrorCode.authUnavailable,
  SpoolErrorCode.databaseUnavailable,
  SpoolErrorCode.serverBusy,
  SpoolErrorCode.requestInProgress,
  SpoolErrorCode.tooManyStreams,
  SpoolErrorCode.rateLimited,
  SpoolErrorCode.tooManySubscriptions,
  SpoolErrorCode.tooManyConnections,
  SpoolErrorCode.generatorLost,
  SpoolErrorCode.shuttingDown,
  SpoolErrorCode.queueTimeout,
  SpoolErrorCode.providerError,
  SpoolErrorCode.providerRateLimited,
  SpoolErrorCode.providerConnectionLost,
  SpoolErrorCode.providerTimeout,
]);

export function isRetryableErrorCode(code: SpoolErrorCode): boolean {
  return retryableErrorCodes.has(code);
}
