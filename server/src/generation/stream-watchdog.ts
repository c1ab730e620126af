import { SpoolErrorCode } from '@spool/shared';
import { ProviderError } from './provider-error.ts';

export interface WatchdogTimes {
  /** From the request to the model's first output: connecting, retries before it, thinking. */
  firstTokenMs: number;
  /** Between two chunks, once output has begun. */
  idleMs: number;
}

/**
 * Aborts an upstream request that is too slow: no output within `firstTokenMs` of the start, or no
 * chunk for `idleMs` after that. Time spent in Spool (while the caller handles a chunk) does not
 * count: `hold` stops the clock, the next `sawChunk` or `resume` restarts it. Its `signal` also
 * follows the caller's (cancel, shutdown).
 */
export class StreamWatchdog {
  readonly #abort = new AbortController();
  readonly #times: WatchdogTimes;
  readonly #outer: AbortSignal;
  readonly #onOuterAbort = () => this.#abort.abort(this.#outer.reason);
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #timedOut: ProviderError | undefined;
  #outputSeen = false;

  constructor(outer: AbortSignal, times: WatchdogTimes) {
    this.#outer = outer;
    this.#times = times;
    outer.addEventListener('abort', this.#onOuterAbort, { once: true });
    if (outer.aborted) this.#onOuterAbort();
    this.#armFirstOutput();
  }

  /** Aborted on a timeout or when the caller's signal aborts. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** What is left of the first-output budget, in ms (0 once output has begun or it has run out). */
  get firstOutputBudgetLeft(): number {
    return this.#outputSeen ? 0 : Math.max(0, this.#startedAt + this.#times.firstTokenMs - Date.now());
  }

  /** A chunk arrived; `withOutput` if it carried text (or reasoning). From the first output on, the idle time counts. */
  sawChunk(withOutput: boolean): void {
    if (withOutput) this.#outputSeen = true;
    if (this.#outputSeen) this.#armIdle();
  }

  /** Spool is busy with a chunk: the provider is not idle meanwhile. */
  hold(): void {
    clearTimeout(this.#timer);
  }

  resume(): void {
    this.#armIdle();
  }

  /** The timeout behind a failure, if the watchdog caused it. */
  explain(): ProviderError | undefined {
    return this.#timedOut;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#outer.removeEventListener('abort', this.#onOuterAbort);
  }

  #armFirstOutput(): void {
    this.#arm(this.#times.firstTokenMs, `no first token within ${this.#times.firstTokenMs} ms`);
  }

  #armIdle(): void {
    this.#arm(this.#times.idleMs, `no chunk for ${this.#times.idleMs} ms`);
  }

  #arm(ms: number, message: string): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = new ProviderError(SpoolErrorCode.providerTimeout, `the model provider sent ${message}`);
      this.#abort.abort(this.#timedOut);
    }, ms);
  }
}
