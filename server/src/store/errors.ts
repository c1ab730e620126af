import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';

/** Errors the stores throw. */
export class StoreError extends SpoolError {}

export class StreamNotFoundError extends StoreError {
  constructor(streamId: string) {
    super(SpoolErrorCode.streamNotFound, `stream ${streamId} does not exist`);
  }
}

export class StreamExistsError extends StoreError {
  constructor(streamId: string) {
    super(SpoolErrorCode.internal, `stream ${streamId} already exists`);
  }
}

export class StreamEndedError extends StoreError {
  constructor(streamId: string) {
    super(SpoolErrorCode.streamEnded, `stream ${streamId} has already ended`);
  }
}

export class IndexOutOfRangeError extends StoreError {
  constructor(streamId: string, fromIndex: number, length: number, ended: boolean) {
    const range = ended ? `0..${length - 1}` : `0..${length}`;
    super(
      SpoolErrorCode.indexOutOfRange,
      `stream ${streamId} cannot be read from index ${fromIndex}: valid start indexes are ${range}`,
    );
  }
}

/** A writer's batch expected the log to end elsewhere: someone else wrote to its stream. */
export class IndexConflictError extends StoreError {
  constructor(streamId: string) {
    super(SpoolErrorCode.internal, `stream ${streamId} has events its writer did not append`);
  }
}

export class StoreUnavailableError extends StoreError {
  constructor(cause: unknown) {
    super(SpoolErrorCode.storeUnavailable, 'the stream store is unavailable', { cause });
  }
}

/** The terminal event a reader appends for a stream whose generator stopped renewing its lease. */
export const generatorLostEvent = {
  type: 'error',
  code: SpoolErrorCode.generatorLost,
  message: 'the process generating this stream stopped; try again',
  retryable: true,
} as const;

/** Runs a Redis command for which any failure means Redis could not answer: `StoreUnavailableError`. */
export async function withStore<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}
