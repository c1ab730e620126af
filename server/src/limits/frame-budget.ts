export interface FrameBudgetLimits {
  framesPerSecond: number;
  bytesPerSecond: number;
}

/**
 * What one connection may send per second, in one-second windows, counted before a frame is parsed:
 * a connection flooding the server with frames (each refused, say, as rate-limited) costs it no more
 * than this before it is cut off, however cheap each refusal.
 */
export class FrameBudget {
  readonly #limits: FrameBudgetLimits;
  #windowStart = 0;
  #frames = 0;
  #bytes = 0;

  constructor(limits: FrameBudgetLimits) {
    this.#limits = limits;
  }

  /** Counts a frame of `bytes`; false once the window's frames or bytes are spent. */
  take(bytes: number, now = performance.now()): boolean {
    if (now - this.#windowStart >= 1_000) {
      this.#windowStart = now;
      this.#frames = 0;
      this.#bytes = 0;
    }
    this.#frames++;
    this.#bytes += bytes;
    return this.#frames <= this.#limits.framesPerSecond && this.#bytes <= this.#limits.bytesPerSecond;
  }

  /** Whether no frame came in the last window: nothing to remember. */
  idle(now = performance.now()): boolean {
    return now - this.#windowStart >= 1_000;
  }
}
