import { ConnectionException } from '@mikro-orm/core';
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
 * Runs a database call. Failing to reach the server (refused, reset, dropped, timed out) becomes
 * `DatabaseUnavailableError`, which callers may retry; the server refusing the statement (a
 * constraint, a value it cannot store) and bugs are passed on as they are: retrying cannot help them.
 */
export async function withDatabase<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isUnreachable(error) ? new DatabaseUnavailableError(error) : error;
  }
}

/** SQLSTATE class 08 (connection exception) and the server going away (57P01-57P03). */
const unreachableSqlState = /^(08|57P0[123])/;
/** Node's socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ... */
const socketErrorCode = /^E[A-Z]+$/;
/** What `pg` and its pool say when a connection drops or a timeout fires. */
const unreachableMessage = /connection terminated|query read timeout|timeout exceeded when trying to connect/i;

function isUnreachable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (unreachableSqlState.test(code) || socketErrorCode.test(code))) return true;
  return unreachableMessage.test(error.message) || (error.cause !== undefined && isUnreachable(error.cause));
}
