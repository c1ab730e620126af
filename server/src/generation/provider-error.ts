import { isRetryableErrorCode, type SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';

/** A model provider's failure, as the stream's terminal `error` event tells it. */
export class ProviderError extends SpoolError {
  readonly retryable: boolean;
  /** How long the provider asked callers to wait (429 `retry-after`), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: SpoolErrorCode, message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(code, message, { cause: options.cause });
    this.retryable = isRetryableErrorCode(code);
    this.retryAfterMs = options.retryAfterMs;
  }
}
