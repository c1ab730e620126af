import type { Logger } from 'pino';
import type { StreamStore } from '../store/types.ts';
import type { AnswerRunner } from './answer-runner.ts';
import { type GenerationDeps, type GenerationJob, runGeneration, type StopReason } from './run-generation.ts';

interface Running {
  stop: AbortController;
  finished: Promise<void>;
}

/**
 * The generations running in this process. Each also watches for a cancel request, which may come
 * through any server instance, and stops when it arrives.
 */
export class Generations implements AnswerRunner {
  readonly #deps: GenerationDeps;
  readonly #running = new Map<string, Running>();
  /** Aborted at shutdown, after the grace period: final writes still waiting for the database give up. */
  readonly #finalStop = new AbortController();
  /** Set when the drain time is up: an answer that starts after it (its start was under way) is stopped at once. */
  #stopping = false;

  constructor(deps: GenerationDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#running.size;
  }

  has(streamId: string): boolean {
    return this.#running.has(streamId);
  }

  /** Starts a generation; the stream must already exist. Resolves once it has ended (it never fails). */
  start(job: GenerationJob): Promise<void> {
    this.#deps.metrics?.answersStarted.inc();
    const stop = new AbortController();
    if (this.#stopping) stop.abort('shutdown' satisfies StopReason);
    const finished = this.#run(job, stop);
    this.#running.set(job.streamId, { stop, finished });
    return finished;
  }

  /** Stops one generation of this process, if it is still running. */
  stop(streamId: string, reason: StopReason): void {
    this.#running.get(streamId)?.stop.abort(reason);
  }

  /**
   * Waits up to `graceMs` for running generations (those that start meanwhile included), then stops
   * the rest with a retryable error; one that starts after that is stopped as it starts.
   */
  async shutdown(graceMs: number): Promise<void> {
    const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([this.#allFinished(), timer]);
    this.#stopping = true;
    for (const running of this.#running.values()) running.stop.abort('shutdown' satisfies StopReason);
    this.#finalStop.abort();
    await this.#allFinished();
  }

  /** Resolves once none runs, counting those that start while it waits. */
  async #allFinished(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.all([...this.#running.values()].map((running) => running.finished));
    }
  }

  async #run(job: GenerationJob, stop: AbortController): Promise<void> {
    let released: Promise<void> | undefined;
    const releaseLease = () =>
      (released ??= this.#deps.userLeases.release(job.ownerId, job.streamId).catch((error: unknown) => {
        // It lapses by itself within a lease time.
        this.#deps.log.warn({ err: error, streamId: job.streamId }, 'could not release the user lease');
      }));
    const watchEnded = new AbortController();
    watchCancel(this.#deps.store, job.streamId, watchEnded.signal, this.#deps.log).then((cancelled) => {
      if (cancelled) stop.abort('cancelled' satisfies StopReason);
    });
    try {
      await runGeneration(job, this.#deps, stop.signal, this.#finalStop.signal, releaseLease);
    } finally {
      watchEnded.abort('finished'); // a reason of our own: no DOMException (and its stack) per answer
      this.#running.delete(job.streamId);
      // Given back with the terminal event already, unless the generation ended some other way.
      await releaseLease();
    }
  }
}

/** True once a cancel is requested; false when `signal` ends the watch first or the watch fails. */
async function watchCancel(store: StreamStore, streamId: string, signal: AbortSignal, log: Logger): Promise<boolean> {
  try {
    await store.whenCancelRequested(streamId, signal);
    return !signal.aborted;
  } catch (error) {
    log.error({ err: error, streamId }, 'cannot watch for cancel requests; this generation can only end by itself');
    return false;
  }
}
