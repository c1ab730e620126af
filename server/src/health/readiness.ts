/** What `/readyz` reports. */
export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  /** Each dependency: `ok`, or why not. */
  checks: { store: string; database: string };
}

export interface ReadinessDeps {
  /** Resolves when the stream store answers (the in-process one always does). */
  pingStore(): Promise<void>;
  /** Resolves when the database answers. */
  pingDatabase(): Promise<void>;
  /** How long a dependency has to answer before it counts as down. */
  timeoutMs: number;
}

/** How long one round of checks answers every probe that asks meanwhile: probes cost one round each at most. */
const reuseMs = 250;

/**
 * Whether this instance should get traffic: not draining, and its store and database answering within
 * a bound. Checks are shared: however many probes ask, there is one round in flight, and its answer is
 * reused for a moment, so the endpoint stays cheap under load and unauthenticated.
 */
export class Readiness {
  readonly #deps: ReadinessDeps;
  #draining = false;
  #last: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(deps: ReadinessDeps) {
    this.#deps = deps;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on: not ready, and no new answer starts here. */
  startDraining(): void {
    this.#draining = true;
  }

  check(): Promise<ReadinessReport> {
    const now = performance.now();
    if (!this.#last || now - this.#last.at > reuseMs) this.#last = { at: now, report: this.#round() };
    return this.#last.report.then((report) => (this.#draining ? { ...report, ready: false, draining: true } : report));
  }

  async #round(): Promise<ReadinessReport> {
    const [store, database] = await Promise.all([
      this.#probe(this.#deps.pingStore),
      this.#probe(this.#deps.pingDatabase),
    ]);
    return {
      ready: store === 'ok' && database === 'ok' && !this.#draining,
      draining: this.#draining,
      checks: { store, database },
    };
  }

  async #probe(ping: () => Promise<void>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.#deps.timeoutMs} ms`), this.#deps.timeoutMs);
    });
    try {
      return await Promise.race([ping().then(() => 'ok'), timeout]);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
    }
  }
}
