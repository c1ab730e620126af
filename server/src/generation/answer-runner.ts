import type { GenerationJob, StopReason } from './run-generation.ts';

/** What `sendMessage` hands an answer to once its stream exists: generated here (`Generations`), or queued for a worker (`QueuedAnswers`). */
export interface AnswerRunner {
  /** Returns at once; the stream gets the answer, or its error. */
  start(job: GenerationJob): void;
  /** Stops an answer started here, if it still runs. */
  stop(streamId: string, reason: StopReason): void;
}
