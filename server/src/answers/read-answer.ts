import { SpoolErrorCode, type StreamEvent } from '@spool/shared';
import { findAnswerByStream } from '../db/answers.ts';
import type { Database } from '../db/database.ts';
import { EncodedEvent } from '../delivery/encoded-event.ts';
import type { Subscriber, Watch } from '../delivery/subscriber.ts';
import { watchIterable } from '../delivery/watch-iterable.ts';
import { SpoolError } from '../errors.ts';
import { IndexOutOfRangeError, StreamEndedError, StreamNotFoundError } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';
import { replayEvents, replayLength } from './replay.ts';

export interface AnswerSources {
  store: StreamStore;
  db: Database;
}

export interface WatchAnswerOptions {
  streamId: string;
  ownerId: string;
  fromIndex: number;
}

export interface ReadAnswerOptions extends WatchAnswerOptions {
  signal?: AbortSignal | undefined;
}

/** Events a generic-path reader may leave unread before its cursor waits and reads on from the log. */
const readerCapacity = 1024;

/**
 * A stream's events from `fromIndex`, pushed to `subscriber`: from the log while it exists, then
 * (once it has expired, or after an embedded-mode restart) from the saved answer, with the same
 * events and indexes. Someone else's stream is NOT_FOUND, exactly like a stream that never existed.
 */
export function watchAnswer(sources: AnswerSources, options: WatchAnswerOptions, subscriber: Subscriber): Watch {
  const { store } = sources;
  const { streamId, ownerId } = options;
  let next = options.fromIndex;
  let stopped = false;
  let current: Watch | undefined;
  const replay = () => {
    replaySaved(sources, { ...options, fromIndex: next }, subscriber, () => stopped).catch((error: unknown) => {
      if (!stopped) subscriber.fail(error);
    });
  };
  const relay: Subscriber = {
    write: (encoded) => {
      next = encoded.event.index + 1;
      subscriber.write(encoded);
    },
    writable: () => subscriber.writable(),
    whenWritable: () => subscriber.whenWritable(),
    end: () => subscriber.end(),
    // Expired before or while it was read: the saved answer goes on from the next index.
    fail: (error) => (logVanished(error) ? replay() : subscriber.fail(error)),
  };
  store.meta(streamId).then(
    (meta) => {
      if (stopped) return;
      if (!meta) replay();
      else if (meta.ownerId !== ownerId) subscriber.fail(new StreamNotFoundError(streamId));
      else current = store.watch(streamId, next, relay);
    },
    (error: unknown) => {
      if (!stopped) subscriber.fail(error);
    },
  );
  return {
    stop() {
      stopped = true;
      current?.stop();
    },
  };
}

/** `watchAnswer` as an async iterable: the generic tRPC path. */
export function readAnswer(sources: AnswerSources, options: ReadAnswerOptions): AsyncIterable<StreamEvent> {
  return watchIterable((subscriber) => watchAnswer(sources, options, subscriber), {
    capacity: readerCapacity,
    signal: options.signal,
  });
}

function logVanished(error: unknown): boolean {
  return (
    error instanceof SpoolError &&
    (error.code === SpoolErrorCode.streamNotFound || error.code === SpoolErrorCode.streamLost)
  );
}

async function replaySaved(
  sources: AnswerSources,
  options: WatchAnswerOptions,
  subscriber: Subscriber,
  stopped: () => boolean,
): Promise<void> {
  const { streamId, fromIndex } = options;
  const message = await findAnswerByStream(sources.db.em(), streamId);
  if (!message || message.ownerId !== options.ownerId) throw new StreamNotFoundError(streamId);
  if (message.status === 'streaming' || !message.replay) {
    throw new SpoolError(SpoolErrorCode.streamLost, `stream ${streamId} was lost before its answer was saved`);
  }
  const answer = { content: message.content, replay: message.replay };
  const length = replayLength(answer.replay);
  if (fromIndex >= length) throw new IndexOutOfRangeError(streamId, fromIndex, length, true);
  for (const event of replayEvents(answer, fromIndex)) {
    if (!subscriber.writable()) await subscriber.whenWritable();
    if (stopped()) return;
    subscriber.write(new EncodedEvent(event));
  }
  subscriber.end();
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
