import type { Logger } from 'pino';
import { type FinalAnswer, findStreamingAnswers } from '../db/answers.ts';
import type { Database } from '../db/database.ts';
import type { Generations } from '../generation/generations.ts';
import { generatorLostEvent } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';
import type { HistoryCache } from './history-cache.ts';
import { finalAnswerFromLog, lostAnswer } from './outcome.ts';

export interface RecoveryDeps {
  db: Database;
  store: StreamStore;
  generations: Generations;
  history: HistoryCache;
  log: Logger;
}

/** Answers read from the database per query; a pass goes through all of them. */
const pageSize = 200;

/**
 * Settles answers still `streaming` in the database that no generator will finish: those whose
 * final write was left pending by a process that stopped (saved as they ended, and their terminal
 * event appended), those whose generator died (ended by lease, saved as failed with their partial
 * text), and those whose log vanished (failed, STREAM_LOST). Answers with a live generator, here or
 * on another instance, are left alone. Safe to run on every instance at once: each answer is saved
 * once, by whoever gets there first. Returns how many it saved.
 */
async function recoverAnswers(deps: RecoveryDeps, logless: LoglessStreams): Promise<number> {
  const { db, generations, log } = deps;
  let saved = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await findStreamingAnswers(db.em(), { after, limit: pageSize });
    for (const row of rows) {
      if (!row.streamId || generations.has(row.streamId)) continue;
      try {
        if (await recoverAnswer(deps, logless, row.id, row.streamId, row.conversation.id)) saved++;
      } catch (error) {
        // One answer's trouble (its log unreadable, say) must not hold up the others: next pass.
        log.error({ err: error, streamId: row.streamId }, 'could not recover an answer; trying again next pass');
      }
    }
    if (rows.length < pageSize) return saved;
    after = rows.at(-1)?.id;
  }
}

async function recoverAnswer(
  deps: RecoveryDeps,
  logless: LoglessStreams,
  messageId: string,
  streamId: string,
  conversationId: string,
): Promise<boolean> {
  const final = await settle(deps, logless, messageId, streamId);
  if (!final) return false;
  const saved = await deps.db.answers.saveFinalAnswer(final);
  if (!saved) return false;
  deps.log.info({ streamId, status: final.status }, 'recovered an unsaved answer');
  // The cached history missed this exchange: the next question reads it from the database.
  await deps.history.forget(conversationId).catch((error: unknown) => {
    deps.log.warn({ err: error, conversationId }, 'could not drop a stale cached history');
  });
  return true;
}

/**
 * The answer's final form, or null while its generator is alive. A generator that finished but did
 * not save left its terminal event beside the log: it is appended now, before the save, the one
 * exception to "saved, then ended", so that the log and the saved answer agree. If the generator is
 * in fact still retrying its save, whichever save lands first wins and the other stands down.
 */
async function settle(
  deps: RecoveryDeps,
  logless: LoglessStreams,
  messageId: string,
  streamId: string,
): Promise<FinalAnswer | null> {
  const { store } = deps;
  const meta = await store.meta(streamId);
  // No log: lost, unless its generator (on another instance) is putting it back after a store
  // restart, which takes it seconds; so only a log missing at two passes in a row is lost.
  if (!meta) return logless.seenBefore(streamId) ? lostAnswer(messageId) : null;
  if (meta.status === 'running') {
    const ended = (await store.endIfFinished(streamId)) || (await store.endIfAbandoned(streamId, generatorLostEvent));
    if (!ended) return null;
  }
  const events = await store.readLog(streamId);
  return events ? finalAnswerFromLog(messageId, events) : lostAnswer(messageId);
}

export interface RecoverySchedule {
  /** Runs a pass now (after the one in progress, if any); resolves with how many answers it saved. */
  runNow(): Promise<number>;
  /** Stops the schedule and waits for a pass in progress to finish. */
  stop(): Promise<void>;
}

/** A pass at start and then every `intervalMs`; a failed pass (the database away, say) is logged and retried next time. */
export function scheduleRecovery(deps: RecoveryDeps, intervalMs: number): RecoverySchedule {
  let running: Promise<number> = Promise.resolve(0);
  const logless = new LoglessStreams();
  const recoverAll = async () => {
    logless.passStarts();
    return recoverAnswers(deps, logless);
  };
  const runNow = () => {
    // Each pass waits for the one before, whatever became of it (its caller heard of its failure).
    running = running.then(recoverAll, recoverAll);
    return running;
  };
  const pass = () => {
    runNow().catch((error: unknown) => deps.log.warn({ err: error }, 'recovery pass failed; trying again later'));
  };
  pass();
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await running.catch(() => 'already logged by whoever ran it');
    },
  };
}

/** Unsaved answers found without a log, pass by pass: lost only once seen so at the pass before too. */
class LoglessStreams {
  #previous = new Set<string>();
  #current = new Set<string>();

  passStarts(): void {
    this.#previous = this.#current;
    this.#current = new Set();
  }

  /** Notes `streamId` as found without a log in this pass; whether it was in the pass before, too. */
  seenBefore(streamId: string): boolean {
    this.#current.add(streamId);
    return this.#previous.has(streamId);
  }
}
