import { Queue } from 'bullmq';
import { type RedisClient, type RedisTarget, redisClient } from '../store/redis-connection.ts';
import type { GenerationJob } from './run-generation.ts';

/** What a queued answer carries to the worker that generates it: its job, less what only the API process holds. */
export type QueuedAnswer = Omit<GenerationJob, 'exchangeSaved'>;

export const answerQueueName = 'answers';

/**
 * BullMQ's keys under Spool's prefix, beside the streams. Its scripts take several keys of a queue at
 * once, so on a cluster all of them must be in one slot: there the prefix is one hash tag.
 */
export function queuePrefix(redisPrefix: string, redis: RedisTarget): string {
  return 'clusterNodes' in redis ? `{${redisPrefix}:queue}` : `${redisPrefix}:queue`;
}

/**
 * The answers an API process hands to generation workers: one BullMQ job per answer, its id the
 * stream's, never retried by BullMQ (an answer that began streaming must not start again).
 */
export class AnswerQueue {
  readonly #connection: RedisClient;
  readonly #queue: Queue<QueuedAnswer>;

  constructor(redis: RedisTarget, redisPrefix: string) {
    this.#connection = redisClient(redis, 'queue');
    this.#queue = new Queue<QueuedAnswer>(answerQueueName, {
      connection: this.#connection,
      prefix: queuePrefix(redisPrefix, redis),
    });
  }

  async add(answer: QueuedAnswer): Promise<void> {
    await this.#queue.add('answer', answer, {
      jobId: answer.streamId,
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: { count: 1_000 },
    });
  }

  /** Answers waiting for a worker (metrics). */
  waiting(): Promise<number> {
    return this.#queue.getWaitingCount();
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#connection.disconnect();
  }
}
