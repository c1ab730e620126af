import { withinMs } from '../time-bound.ts';

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

interface Round {
  /** Undefined while in flight. */
  settledAt: number | undefined;
  report: Promise<ReadinessReport>;
}

/** How long a settled round of checks still answers the probes that ask: probes cost one round each at most. */
const reuseMs = 250;

/**
 * Whether this instance should get traffic: not draining, and its store and database answering within
 * a bound. Checks are shared: however many probes ask, there is one round in flight, and its answer is
 * reused for a moment, so the endpoint stays cheap under load and unauthenticated.
 */
export class Readiness {
  readonly #deps: ReadinessDeps;
  #draining = false;
  /** The round in flight, or the last one and when it settled. */
  #last: Round | undefined;

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
    const last = this.#last;
    const fresh = last && (last.settledAt === undefined || performance.now() - last.settledAt <= reuseMs);
    const round = fresh ? last : this.#startRound();
    return round.report.then((report) => (this.#draining ? { ...report, ready: false, draining: true } : report));
  }

  #startRound(): Round {
    const round: Round = { settledAt: undefined, report: this.#round() };
    void round.report.then(() => {
      round.settledAt = performance.now();
    });
    this.#last = round;
    return round;
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

  /** 'ok', or why not: the failure's message, or that it did not answer in time. */
  async #probe(ping: () => Promise<void>): Promise<string> {
    try {
      await withinMs(ping(), this.#deps.timeoutMs);
      return 'ok';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}
