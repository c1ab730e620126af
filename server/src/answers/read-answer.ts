import type { StreamEvent } from '@spool/shared';
import { findAnswerByStream } from '../db/answers.ts';
import type { Database } from '../db/database.ts';
import { watchIterable } from '../delivery/watch-iterable.ts';
import type { PerUserQueries } from '../limits/per-user-queries.ts';
import { StreamEndedError, StreamNotFoundError } from '../store/errors.ts';
import { defaultStoreTuning } from '../store/tuning.ts';
import type { StreamMeta, StreamStore } from '../store/types.ts';
import { watchAnswer } from './watch-answer.ts';

export interface AnswerSources {
  store: StreamStore;
  db: Database;
  /** Each user's lookups of saved answers, a few at a time. */
  queries: PerUserQueries;
}

export interface WatchAnswerOptions {
  streamId: string;
  ownerId: string;
  fromIndex: number;
  /** The stream's metadata, when the caller asked for it already (beside its rate check, in the same round trip). */
  meta?: Promise<StreamMeta | null>;
}

export interface ReadAnswerOptions extends WatchAnswerOptions {
  signal?: AbortSignal | undefined;
}

/** `watchAnswer` as an async iterable: the generic tRPC path. */
export function readAnswer(sources: AnswerSources, options: ReadAnswerOptions): AsyncIterable<StreamEvent> {
  return watchIterable((subscriber) => watchAnswer(sources, options, subscriber), {
    capacity: defaultStoreTuning.liveCapacity,
    signal: options.signal,
  });
}

/** Whether a stream the log no longer has was answered and saved (so cancelling it is too late). */
export async function assertCancellable(sources: AnswerSources, streamId: string, ownerId: string): Promise<void> {
  const meta = await sources.store.meta(streamId);
  if (meta) {
    if (meta.ownerId !== ownerId) throw new StreamNotFoundError(streamId);
    return;
  }
  const message = await sources.queries.run(ownerId, () => findAnswerByStream(sources.db.statements, streamId));
  if (!message || message.ownerId !== ownerId) throw new StreamNotFoundError(streamId);
  throw new StreamEndedError(streamId);
}
