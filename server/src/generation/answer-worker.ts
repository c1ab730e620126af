import { type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { SpoolMetrics } from '../metrics/spool-metrics.ts';
import { StreamEndedError, StreamNotFoundError } from '../store/errors.ts';
import type { RedisStreamStore } from '../store/redis.ts';
import { type RedisClient, type RedisTarget, redisClient } from '../store/redis-connection.ts';
import { answerQueueName, type QueuedAnswer, queuePrefix } from './answer-queue.ts';
import type { Generations } from './generations.ts';

export interface AnswerWorkerOptions {
  redis: RedisTarget;
  redisPrefix: string;
  /** Answers this process generates at once. */
  concurrency: number;
  store: RedisStreamStore;
  generations: Generations;
  /** The generator's lease, which a taken answer's stream gets in place of its queue lease. */
  leaseMs: number;
  log: Logger;
  metrics: SpoolMetrics;
}

/**
 * `SPOOL_ROLE=worker`: takes queued answers (BullMQ), up to `concurrency` at once, and generates each
 * as an `all` process would, into the same log and the same database. A job whose worker dies is
 * never run again (`maxStalledCount: 0`): its answer had begun streaming, and its readers end it with
 * GENERATOR_LOST once the dead worker's lease lapses. Cancels come through Spool's cancel channel,
 * which the stream names once it is taken: BullMQ's own cancel reaches one worker only.
 */
export class AnswerWorker {
  readonly #options: AnswerWorkerOptions;
  /** Given to BullMQ, which closes the connections it makes itself, not this one. */
  readonly #connection: RedisClient;
  readonly #worker: Worker<QueuedAnswer>;

  constructor(options: AnswerWorkerOptions) {
    this.#options = options;
    this.#connection = redisClient(options.redis, 'queue');
    this.#worker = new Worker<QueuedAnswer>(answerQueueName, (job) => this.#generate(job), {
      connection: this.#connection,
      prefix: queuePrefix(options.redisPrefix, options.redis),
      concurrency: options.concurrency,
      maxStalledCount: 0,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 1_000 },
    });
    this.#worker.on('failed', (job, error) =>
      options.log.error({ err: error, streamId: job?.id }, 'a queued answer could not be taken'),
    );
    this.#worker.on('error', (error) => options.log.warn({ err: error }, 'the answer queue failed; retrying'));
  }

  /** Takes no more answers, and resolves once those it took have ended (their drain is `Generations.shutdown`). */
  async close(): Promise<void> {
    await this.#worker.close();
    this.#connection.disconnect();
  }

  async #generate(job: Job<QueuedAnswer>): Promise<void> {
    const { store, generations, leaseMs, log, metrics } = this.#options;
    const answer = job.data;
    metrics.queueWait.observe(Math.max(0, Date.now() - job.timestamp) / 1000);
    const taken = await store.takeOver(answer.streamId, leaseMs).catch((error: unknown) => {
      // Ended already: its readers ended it with QUEUE_TIMEOUT once its queue lease lapsed.
      if (error instanceof StreamEndedError || error instanceof StreamNotFoundError) return null;
      throw error;
    });
    if (!taken) {
      log.warn(
        { streamId: answer.streamId },
        'a queued answer waited past its queue timeout; it ends with QUEUE_TIMEOUT',
      );
      return;
    }
    const finished = generations.start({ ...answer, exchangeSaved: Promise.resolve(true) });
    if (taken.cancelled) generations.stop(answer.streamId, 'cancelled');
    await finished;
  }
}
