import { DriverException, ServerException } from '@mikro-orm/core';
import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';

export class DatabaseUnavailableError extends SpoolError {
  constructor(cause: unknown) {
    super(SpoolErrorCode.databaseUnavailable, 'the database is unavailable; nothing was saved, try again', { cause });
  }
}

export class ConversationNotFoundError extends SpoolError {
  constructor(conversationId: string) {
    super(SpoolErrorCode.conversationNotFound, `conversation ${conversationId} does not exist`);
  }
}

/**
 * Runs a database call. The server answering with an error (a constraint, a bad query) and bugs are
 * passed on as they are; failing to reach the server (refused, reset, timed out) becomes
 * `DatabaseUnavailableError`.
 */
export async function withDatabase<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isUnreachable(error) ? new DatabaseUnavailableError(error) : error;
  }
}

function isUnreachable(error: unknown): boolean {
  if (error instanceof ServerException) return false;
  if (error instanceof DriverException) return true;
  if (!(error instanceof Error)) return false;
  // Node's socket errors (ECONNREFUSED, ECONNRESET, ...) and pg's own words for a lost or slow connection.
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('E')) || /connection|timeout/i.test(error.message);
}
