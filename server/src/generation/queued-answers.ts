import { SpoolErrorCode, type TerminalEventBody } from '@spool/shared';
import type { Logger } from 'pino';
import type { StreamStore } from '../store/types.ts';
import type { UserLeases } from '../store/user-leases.ts';
import type { AnswerQueue } from './answer-queue.ts';
import type { AnswerRunner } from './answer-runner.ts';
import type { GenerationJob } from './run-generation.ts';

export interface QueuedAnswersDeps {
  queue: AnswerQueue;
  store: StreamStore;
  userLeases: UserLeases;
  queueTimeoutMs: number;
  log: Logger;
}

/**
 * `SPOOL_ROLE=api`: an answer is queued for a worker once its exchange is saved. Beside its log it
 * keeps the event it ends with if no worker takes it before its queue lease (the queue timeout) lapses:
 * readers then end it with QUEUE_TIMEOUT, as they end any answer whose generator went away. A worker
 * that takes it drops that event and makes the lease its own (`RedisStreamStore.takeOver`).
 */
export class QueuedAnswers implements AnswerRunner {
  readonly #deps: QueuedAnswersDeps;
  readonly #queueTimeout: TerminalEventBody;
  /** Hand-overs under way: a drain waits for them before the queue and the store close. */
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: QueuedAnswersDeps) {
    this.#deps = deps;
    this.#queueTimeout = {
      type: 'error',
      code: SpoolErrorCode.queueTimeout,
      message: `no generation worker took this answer within ${deps.queueTimeoutMs} ms; send the message again`,
      retryable: true,
    };
  }

  start(job: GenerationJob): void {
    const queued = this.#queue(job);
    this.#pending.add(queued);
    void queued.finally(() => this.#pending.delete(queued));
  }

  /** Resolves once every answer started here has been queued (or ended), those that start meanwhile included. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Nothing runs here to stop: an exchange that could not be saved is never queued (see `#queue`). */
  stop(): void {}

  async #queue(job: GenerationJob): Promise<void> {
    const { streamId } = job;
    const { store, queue, log } = this.#deps;
    if (!(await job.exchangeSaved)) {
      await this.#end(job, notSaved);
      return;
    }
    const { exchangeSaved: _, ...answer } = job;
    try {
      await store.setFinalEvent(streamId, this.#queueTimeout);
      await queue.add(answer);
    } catch (error) {
      // Its queue lease lapses, and its readers end it (QUEUE_TIMEOUT if that much was kept).
      log.error({ err: error, streamId }, 'could not queue an answer for the workers');
    }
  }

  async #end(job: GenerationJob, event: TerminalEventBody): Promise<void> {
    const { store, userLeases, log } = this.#deps;
    try {
      await store.append(job.streamId, event);
      await userLeases.release(job.ownerId, job.streamId);
    } catch (error) {
      log.error({ err: error, streamId: job.streamId }, 'could not end an answer whose message was not saved');
    }
  }
}

/** How an answer ends whose user message could not be saved: nothing was generated. */
const notSaved: TerminalEventBody = {
  type: 'error',
  code: SpoolErrorCode.databaseUnavailable,
  message: 'the message could not be saved, so no answer was generated; send it again',
  retryable: true,
};
