import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { FinalAnswer } from '../db/answers.ts';
import type { Database } from '../db/database.ts';
import { DatabaseUnavailableError } from '../db/errors.ts';
import type { HistoryCache } from './history-cache.ts';

export interface FinalWriterOptions {
  db: Database;
  history: HistoryCache;
  log: Logger;
  retry: { firstDelayMs: number; maxDelayMs: number };
}

export interface FinalWrite {
  streamId: string;
  conversationId: string;
  /** The question the answer replies to, for the history cache. */
  question: { id: string; content: string };
  answer: FinalAnswer;
}

export type FinalWriteOutcome = 'saved' | 'saved-elsewhere' | 'stopped';

/**
 * Writes each answer's final message once, retrying with backoff while the database is out of reach,
 * and keeps the conversation's cached history in step.
 */
export class FinalWriter {
  readonly #options: FinalWriterOptions;

  constructor(options: FinalWriterOptions) {
    this.#options = options;
  }

  /**
   * Saves the answer, retrying until it is saved, or `stop` aborts first ('stopped': recovery saves
   * it later, from the log). 'saved-elsewhere': recovery saved it first (and ended the stream) while
   * this was retrying. Errors other than an unreachable database are thrown.
   */
  async save(write: FinalWrite, stop: AbortSignal): Promise<FinalWriteOutcome> {
    const { db, log, retry } = this.#options;
    let delayMs = retry.firstDelayMs;
    let failures = 0;
    let saved: boolean;
    for (;;) {
      try {
        saved = await db.answers.saveFinalAnswer(write.answer);
        break;
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError)) throw error;
        if (failures++ === 0)
          log.warn({ err: error, streamId: write.streamId }, 'cannot save a final answer yet; retrying');
      }
      try {
        await sleep(delayMs, undefined, { signal: stop });
      } catch {
        return 'stopped';
      }
      delayMs = Math.min(delayMs * 2, retry.maxDelayMs);
    }
    if (failures > 0) log.info({ streamId: write.streamId, failures }, 'final answer saved after retrying');
    // Recovery, having saved it first, dropped the cached history: nothing to add to.
    if (!saved) return 'saved-elsewhere';
    // Not waited for: it is sent now, before the terminal event, on the same Redis connection, which
    // runs commands in order (the in-process store applies it at once), so a follow-up sent on `done`
    // finds it; and both go out in one write. (On Redis Cluster the two are on different nodes.)
    this.#addToHistory(write).catch((error: unknown) => {
      // The cache entry expires; until then the model misses this exchange.
      log.warn({ err: error, conversationId: write.conversationId }, 'could not update the history cache');
    });
    return 'saved';
  }

  /** Before the terminal event: a follow-up sent on `done` must see this answer in its history. */
  async #addToHistory({ conversationId, question, answer }: FinalWrite): Promise<void> {
    const exchange: Parameters<HistoryCache['append']>[1] = [
      { id: question.id, role: 'user', content: question.content },
    ];
    if (answer.status !== 'failed' && answer.content !== '') {
      exchange.push({ id: answer.messageId, role: 'assistant', content: answer.content });
    }
    await this.#options.history.append(conversationId, exchange);
  }
}
