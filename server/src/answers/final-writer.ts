import { setTimeout as sleep } from 'node:timers/promises';
import { type TerminalEvent, terminalEventSchema } from '@spool/shared';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { DatabaseUnavailableError } from '../db/errors.ts';
import { type FinalAnswer, saveFinalAnswer } from '../db/messages.ts';
import { parseJson } from '../json.ts';
import type { KeyValueStore } from '../store/key-value.ts';
import type { HistoryCache } from './history-cache.ts';

export interface FinalWriterOptions {
  db: Database;
  keyValue: KeyValueStore;
  history: HistoryCache;
  log: Logger;
  /** How long a pending-final record is kept: as long as the log it points into. */
  pendingTtlMs: number;
  retry: { firstDelayMs: number; maxDelayMs: number };
}

export interface FinalWrite {
  streamId: string;
  conversationId: string;
  /** The question the answer replies to, for the history cache. */
  question: { id: string; content: string };
  answer: FinalAnswer;
  /** The event the log gets once the answer is saved. */
  terminal: TerminalEvent;
}

/**
 * Writes each answer's final message once. While the database is out of reach it retries with
 * backoff and leaves a pending-final record beside the log, so that if this process stops first,
 * recovery (any instance, at start) finds the finished answer and saves it.
 */
export class FinalWriter {
  readonly #options: FinalWriterOptions;

  constructor(options: FinalWriterOptions) {
    this.#options = options;
  }

  /**
   * Saves the answer, retrying until it is saved, or `stop` aborts first ('stopped': the pending
   * record stays for recovery). 'saved-elsewhere': recovery, on this or another instance, saved it
   * first (and ended the stream) while this was retrying. Errors other than an unreachable database
   * are thrown.
   */
  async save(write: FinalWrite, stop: AbortSignal): Promise<'saved' | 'saved-elsewhere' | 'stopped'> {
    const { db, log, retry } = this.#options;
    let delayMs = retry.firstDelayMs;
    let pending = false;
    let saved: boolean;
    for (;;) {
      try {
        saved = await saveFinalAnswer(db.em(), write.answer);
        break;
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError)) throw error;
        if (!pending) {
          log.warn({ err: error, streamId: write.streamId }, 'cannot save a final answer yet; retrying');
          pending = await this.#markPending(write);
        }
      }
      try {
        await sleep(delayMs, undefined, { signal: stop });
      } catch {
        return 'stopped'; // the pending record is left for recovery
      }
      delayMs = Math.min(delayMs * 2, retry.maxDelayMs);
    }
    if (!saved) return 'saved-elsewhere';
    if (pending) {
      log.info({ streamId: write.streamId }, 'final answer saved after retrying');
      await this.#options.keyValue.delete(pendingKey(write.streamId)).catch((error: unknown) => {
        log.warn({ err: error, streamId: write.streamId }, 'could not drop a pending-final record; recovery will');
      });
    }
    await this.#addToHistory(write).catch((error: unknown) => {
      // The cache entry expires; until then the model misses this exchange.
      log.warn({ err: error, conversationId: write.conversationId }, 'could not update the history cache');
    });
    return 'saved';
  }

  /** The terminal event an interrupted final write meant to append, if one is pending for the stream. */
  async pendingTerminal(streamId: string): Promise<TerminalEvent | null> {
    const raw = await this.#options.keyValue.get(pendingKey(streamId));
    if (raw === null) return null;
    const parsed = terminalEventSchema.safeParse(parseJson(raw));
    return parsed.success ? parsed.data : null;
  }

  async dropPending(streamId: string): Promise<void> {
    await this.#options.keyValue.delete(pendingKey(streamId));
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

  async #markPending(write: FinalWrite): Promise<boolean> {
    try {
      await this.#options.keyValue.set(
        pendingKey(write.streamId),
        JSON.stringify(write.terminal),
        this.#options.pendingTtlMs,
      );
      return true;
    } catch (error) {
      this.#options.log.error({ err: error, streamId: write.streamId }, 'could not record a pending final answer');
      return false;
    }
  }
}

function pendingKey(streamId: string): string {
  return `pending-final:${streamId}`;
}
