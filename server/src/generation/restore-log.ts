import type { StreamEventBody } from '@spool/shared';
import { type AnswerRecorder, replayEvents } from '../answers/replay.ts';
import { StreamExistsError } from '../store/errors.ts';
import type { GenerationDeps, GenerationJob } from './run-generation.ts';

/**
 * Puts an answer's log back after the store lost it (a Redis restarted without persistence): the
 * stream again, under a new epoch, with every event appended so far at its index. Readers that lost
 * the log meanwhile wait for it and read on from their next index. Safe to call again after a failure.
 */
export async function restoreLog(
  job: Pick<GenerationJob, 'streamId' | 'ownerId'>,
  deps: Pick<GenerationDeps, 'store' | 'log' | 'leaseMs'>,
  recorder: AnswerRecorder,
): Promise<void> {
  const { store, log } = deps;
  const { streamId } = job;
  await store.create(streamId, { ownerId: job.ownerId, leaseMs: deps.leaseMs }).catch((error: unknown) => {
    if (!(error instanceof StreamExistsError)) throw error;
  });
  const events = [...replayEvents(recorder.answer(), 0)];
  if ((await store.meta(streamId))?.length === 0) {
    await store.appendBatch(
      streamId,
      events.map(({ index: _index, ...body }) => body as StreamEventBody),
      0,
    );
  }
  log.warn(
    { streamId, events: events.length },
    "the store lost this answer's log; it is put back and the answer goes on",
  );
}
