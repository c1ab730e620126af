import { SpoolErrorCode } from '@spool/shared';
import { ProviderError } from './provider-error.ts';

export interface WatchdogTimes {
  /** From the request to the first token: connecting, retries before it, and the model's thinking. */
  firstTokenMs: number;
  /** Between two chunks, once the first token has come. */
  idleMs: number;
}

/**
 * Aborts an upstream request that is too slow: no first token within `firstTokenMs`, or no chunk
 * for `idleMs` after it. Its `signal` also follows the caller's (cancel, shutdown). `explain` tells
 * a timeout apart from any other failure of the aborted request.
 */
export class StreamWatchdog {
  readonly #abort = new AbortController();
  readonly #times: WatchdogTimes;
  readonly #outer: AbortSignal;
  readonly #onOuterAbort = () => this.#abort.abort(this.#outer.reason);
  #timer: NodeJS.Timeout;
  #timedOut: ProviderError | undefined;
  #tokenSeen = false;

  constructor(outer: AbortSignal, times: WatchdogTimes) {
    this.#outer = outer;
    this.#times = times;
    outer.addEventListener('abort', this.#onOuterAbort, { once: true });
    if (outer.aborted) this.#onOuterAbort();
    this.#timer = this.#arm(times.firstTokenMs, `no first token within ${times.firstTokenMs} ms`);
  }

  /** Aborted on a timeout or when the caller's signal aborts. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** A chunk arrived; `withToken` if it carried text. The idle time counts from the first token on. */
  sawChunk(withToken: boolean): void {
    if (withToken) this.#tokenSeen = true;
    if (!this.#tokenSeen) return; // before the first token, the first-token budget alone applies
    clearTimeout(this.#timer);
    this.#timer = this.#arm(this.#times.idleMs, `no chunk for ${this.#times.idleMs} ms`);
  }

  /** The timeout behind a failure, if the watchdog caused it. */
  explain(): ProviderError | undefined {
    return this.#timedOut;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#outer.removeEventListener('abort', this.#onOuterAbort);
  }

  #arm(ms: number, message: string): NodeJS.Timeout {
    return setTimeout(() => {
      this.#timedOut = new ProviderError(SpoolErrorCode.providerTimeout, `the model provider sent ${message}`);
      this.#abort.abort(this.#timedOut);
    }, ms);
  }
}
