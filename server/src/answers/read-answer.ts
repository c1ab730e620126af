import { SpoolErrorCode, type StreamEvent } from '@spool/shared';
import { findAnswerByStream } from '../db/answers.ts';
import type { Database } from '../db/database.ts';
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
  let next = options.fromIndex;
  const meta = await store.meta(options.streamId);
  if (meta) {
    if (meta.ownerId !== options.ownerId) throw new StreamNotFoundError(options.streamId);
    try {
      for await (const event of store.read(options.streamId, { fromIndex: next, signal: options.signal })) {
        yield event;
        next = event.index + 1;
      }
      return;
    } catch (error) {
      // Expired before or while it was read: the saved answer goes on from the next index.
      if (!logVanished(error)) throw error;
    }
  }
  yield* replaySaved(sources, { ...options, fromIndex: next });
}

function logVanished(error: unknown): boolean {
  return (
    error instanceof SpoolError &&
    (error.code === SpoolErrorCode.streamNotFound || error.code === SpoolErrorCode.streamLost)
  );
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
