/** How the SDK retries a dropped stream or a failed connection. */
export interface RetryPolicy {
  /** Failed reconnects in a row, with no event delivered between them, before a stream gives up. */
  maxRetries: number;
  /** The first wait; each further attempt waits twice as long, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 8, baseDelayMs: 250, maxDelayMs: 5_000 };

/** Exponential backoff with jitter (half to all of the step), so that many clients do not return at once. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return step / 2 + (Math.random() * step) / 2;
}

/** Waits `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
