import { SpoolErrorCode, type StreamEvent } from '@spool/shared';
import type { Database } from '../db/database.ts';
import { findAnswerByStream } from '../db/messages.ts';
import { SpoolError } from '../errors.ts';
import { IndexOutOfRangeError, StreamEndedError, StreamNotFoundError } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';
import { replayEvents, replayLength } from './replay.ts';

export interface AnswerSources {
  store: StreamStore;
  db: Database;
}

export interface ReadAnswerOptions {
  streamId: string;
  ownerId: string;
  fromIndex: number;
  signal?: AbortSignal | undefined;
}

/**
 * A stream's events from `fromIndex`: from the log while it exists, then (once it has expired, or
 * after an embedded-mode restart) from the saved answer, with the same events and indexes. Someone
 * else's stream is NOT_FOUND, exactly like a stream that never existed.
 */
export async function* readAnswer(sources: AnswerSources, options: ReadAnswerOptions): AsyncGenerator<StreamEvent> {
  const { store } = sources;
  const meta = await store.meta(options.streamId);
  if (meta) {
    if (meta.ownerId !== options.ownerId) throw new StreamNotFoundError(options.streamId);
    try {
      yield* store.read(options.streamId, { fromIndex: options.fromIndex, signal: options.signal });
      return;
    } catch (error) {
      // Expired between the two calls: the saved answer takes over. Past the first event it cannot happen.
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
  }
  yield* replaySaved(sources, options);
}

async function* replaySaved(sources: AnswerSources, options: ReadAnswerOptions): AsyncGenerator<StreamEvent> {
  const { streamId, fromIndex } = options;
  const message = await findAnswerByStream(sources.db.em(), streamId);
  if (!message || message.ownerId !== options.ownerId) throw new StreamNotFoundError(streamId);
  if (message.status === 'streaming' || !message.replay) {
    throw new SpoolError(SpoolErrorCode.streamLost, `stream ${streamId} was lost before its answer was saved`);
  }
  const answer = { content: message.content, replay: message.replay };
  const length = replayLength(answer.replay);
  if (fromIndex >= length) throw new IndexOutOfRangeError(streamId, fromIndex, length, true);
  yield* replayEvents(answer, fromIndex);
}

/** Whether a stream the log no longer has was answered and saved (so cancelling it is too late). */
export async function assertCancellable(sources: AnswerSources, streamId: string, ownerId: string): Promise<void> {
  const meta = await sources.store.meta(streamId);
  if (meta) {
    if (meta.ownerId !== ownerId) throw new StreamNotFoundError(streamId);
    return;
  }
  const message = await findAnswerByStream(sources.db.em(), streamId);
  if (!message || message.ownerId !== ownerId) throw new StreamNotFoundError(streamId);
  throw new StreamEndedError(streamId);
}
