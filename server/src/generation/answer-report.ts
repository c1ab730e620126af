import type { TerminalEventBody, Timings } from '@spool/shared';
import type { Logger } from 'pino';
import type { AnswerReport, SpoolMetrics } from '../metrics/spool-metrics.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import type { GenerationJob } from './run-generation.ts';

/** How an answer ended, as its generator saw it. */
export interface AnswerEnd {
  terminal: TerminalEventBody;
  timings: Timings;
  tokens: number;
}

/** One log line per answer, and its metrics: who, which model, how it ended, how fast; never its text. */
export function reportAnswerEnd(
  job: Pick<GenerationJob, 'streamId' | 'ownerId' | 'model'>,
  deps: { log: Logger; metrics?: SpoolMetrics | undefined },
  { terminal, timings, tokens }: AnswerEnd,
): void {
  const report: AnswerReport = {
    streamId: job.streamId,
    userId: job.ownerId,
    model: job.model,
    outcome: terminal.type === 'error' ? 'failed' : terminal.finishReason === 'cancelled' ? 'cancelled' : 'complete',
    code: terminal.type === 'error' ? terminal.code : null,
    firstTokenMs: timings.firstTokenMs,
    tokens,
    durationMs: timings.durationMs,
  };
  deps.log.info(report, 'answer ended');
  deps.metrics?.answerEnded(report);
}

/** Counts a generator's writes to the log: their time, and those the store was not there for. */
export function storeWriteObserver(metrics: SpoolMetrics) {
  return (seconds: number, error: unknown) => {
    metrics.storeWrites.observe(seconds);
    if (error instanceof StoreUnavailableError) metrics.storeErrors.inc();
  };
}
