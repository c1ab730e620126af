import type { Logger } from 'pino';

export interface RefusedSourcesOptions {
  /** Refused connections one address may make per window; past them its upgrades are turned away. */
  limit: number;
  windowMs: number;
  log: Logger;
}

/**
 * WebSocket connections refused for their token, counted per client address in fixed windows. An
 * address past its budget has its upgrades turned away with 429 before any work (no handshake, no
 * token check), so a client that reconnects in a loop with a bad token is slowed; and what was
 * refused is logged once per window and address, with counts, never once per socket.
 */
export class RefusedSources {
  readonly #options: RefusedSourcesOptions;
  #counts = new Map<string, { refused: number; turnedAway: number }>();
  readonly #timer: NodeJS.Timeout;

  constructor(options: RefusedSourcesOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.#endWindow(), options.windowMs);
    this.#timer.unref();
  }

  /** Whether `address` may still open a connection this window. */
  allows(address: string): boolean {
    const counts = this.#counts.get(address);
    if (!counts || counts.refused < this.#options.limit) return true;
    counts.turnedAway++;
    return false;
  }

  /** A connection from `address` was refused for its token. */
  refused(address: string): void {
    const counts = this.#counts.get(address);
    if (counts) counts.refused++;
    else this.#counts.set(address, { refused: 1, turnedAway: 0 });
  }

  /** Seconds until the window ends, for a Retry-After. */
  retryAfterSeconds(): number {
    return Math.ceil(this.#options.windowMs / 1000);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#endWindow();
  }

  #endWindow(): void {
    const { log, windowMs } = this.#options;
    for (const [address, counts] of this.#counts) {
      log.warn({ address, ...counts, windowMs }, 'refused WebSocket connections with a missing or bad token');
    }
    this.#counts = new Map();
  }
}
