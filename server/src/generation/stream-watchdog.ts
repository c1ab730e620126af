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
 * chunk for `idleMs` after that. Time spent in Spool (between `hold` and `resume`, while the caller
 * handles a chunk) does not count. Per chunk it only notes the time: one timer runs and, when it
 * fires early, re-arms for what is left. Its `signal` also follows the caller's (cancel, shutdown).
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
  #lastActivity = this.#startedAt;
  #held = false;

  constructor(outer: AbortSignal, times: WatchdogTimes) {
    this.#outer = outer;
    this.#times = times;
    outer.addEventListener('abort', this.#onOuterAbort, { once: true });
    if (outer.aborted) this.#onOuterAbort();
    this.#arm(times.firstTokenMs);
  }

  /** Aborted on a timeout or when the caller's signal aborts. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** What is left of the first-output budget, in ms (0 once output has begun or it has run out). */
  get firstOutputBudgetLeft(): number {
    return this.#outputSeen ? 0 : Math.max(0, this.#deadline() - Date.now());
  }

  /** A chunk arrived; `withOutput` if it carried text (or reasoning). From the first output on, the idle time counts. */
  sawChunk(withOutput: boolean): void {
    this.#lastActivity = Date.now();
    if (withOutput && !this.#outputSeen) {
      // From the first-output budget to the (usually shorter) idle time: the timer must not wait longer.
      this.#outputSeen = true;
      clearTimeout(this.#timer);
      this.#arm(this.#times.idleMs);
    }
  }

  /** Spool is busy with a chunk: the provider is not idle meanwhile. */
  hold(): void {
    this.#held = true;
  }

  resume(): void {
    this.#held = false;
    this.#lastActivity = Date.now();
  }

  /** The timeout behind a failure, if the watchdog caused it. */
  explain(): ProviderError | undefined {
    return this.#timedOut;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#outer.removeEventListener('abort', this.#onOuterAbort);
  }

  /** When the provider is late: the first-output budget's end, or `idleMs` after the last activity. */
  #deadline(): number {
    return this.#outputSeen ? this.#lastActivity + this.#times.idleMs : this.#startedAt + this.#times.firstTokenMs;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const left = this.#deadline() - Date.now();
      if (this.#held || left > 0) {
        this.#arm(this.#held ? this.#times.idleMs : left);
        return;
      }
      const message = this.#outputSeen
        ? `no chunk for ${this.#times.idleMs} ms`
        : `no first token within ${this.#times.firstTokenMs} ms`;
      this.#timedOut = new ProviderError(SpoolErrorCode.providerTimeout, `the model provider sent ${message}`);
      this.#abort.abort(this.#timedOut);
    }, ms);
  }
}
