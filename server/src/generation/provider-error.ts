import { isRetryableErrorCode, type SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';

/** A model provider's failure, as the stream's terminal `error` event tells it. */
export class ProviderError extends SpoolError {
  /** Whether trying again can succeed, by the code. */
  get retryable(): boolean {
    return isRetryableErrorCode(this.code);
  }

  /** How long the provider asked callers to wait (429 `retry-after`), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: SpoolErrorCode, message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(code, message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}
