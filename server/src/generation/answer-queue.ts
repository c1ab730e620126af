import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { GenerationJob } from './run-generation.ts';

/** What a queued answer carries to the worker that generates it: its job, less what only the API process holds. */
export type QueuedAnswer = Omit<GenerationJob, 'exchangeSaved'>;

export const answerQueueName = 'answers';

/** BullMQ's keys under Spool's prefix, beside the streams. */
export function queuePrefix(redisPrefix: string): string {
  return `${redisPrefix}:queue`;
}

/** A connection as BullMQ wants one: commands wait through a reconnect instead of failing (its blocking reads need it). */
export function queueConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: 'spool-queue' });
}

/**
 * The answers an API process hands to generation workers: one BullMQ job per answer, its id the
 * stream's, never retried by BullMQ (an answer that began streaming must not start again).
 */
export class AnswerQueue {
  readonly #connection: Redis;
  readonly #queue: Queue<QueuedAnswer>;

  constructor(redisUrl: string, redisPrefix: string) {
    this.#connection = queueConnection(redisUrl);
    this.#queue = new Queue<QueuedAnswer>(answerQueueName, {
      connection: this.#connection,
      prefix: queuePrefix(redisPrefix),
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
