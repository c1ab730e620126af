import { setTimeout as sleep } from 'node:timers/promises';
import { SpoolErrorCode } from '@spool/shared';
import { findAnswerByStream } from '../db/answers.ts';
import { EncodedEvent } from '../delivery/encoded-event.ts';
import { type Subscriber, untilWritable, type Watch } from '../delivery/subscriber.ts';
import { SpoolError } from '../errors.ts';
import { IndexOutOfRangeError, StreamNotFoundError } from '../store/errors.ts';
import type { AnswerSources, WatchAnswerOptions } from './read-answer.ts';
import { replayEvents, replayLength } from './replay.ts';

/**
 * A stream's events from `fromIndex`, pushed to `subscriber`: from the log while it exists, then
 * (once it has expired, or after an embedded-mode restart) from the saved answer, with the same
 * events and indexes. Someone else's stream is NOT_FOUND, exactly like a stream that never existed.
 */
export function watchAnswer(sources: AnswerSources, options: WatchAnswerOptions, subscriber: Subscriber): Watch {
  return new AnswerWatch(sources, options, subscriber);
}

/** One watch of an answer; a class rather than closures, as there is one per live subscription. */
class AnswerWatch implements Subscriber, Watch {
  readonly #sources: AnswerSources;
  readonly #options: WatchAnswerOptions;
  readonly #subscriber: Subscriber;
  #next: number;
  #stopped = false;
  #current: Watch | undefined;
  /** Takes a lookup still waiting for its turn out of the line when the watch stops. */
  #lookups: AbortController | undefined;

  constructor(sources: AnswerSources, options: WatchAnswerOptions, subscriber: Subscriber) {
    this.#sources = sources;
    this.#options = options;
    this.#subscriber = subscriber;
    this.#next = options.fromIndex;
    (options.meta ?? sources.store.meta(options.streamId)).then(
      (meta) => {
        if (this.#stopped) return;
        if (!meta) this.#replay();
        else if (meta.ownerId !== options.ownerId) subscriber.fail(new StreamNotFoundError(options.streamId));
        else this.#current = sources.store.watch(options.streamId, this.#next, this);
      },
      (error: unknown) => this.fail(error),
    );
  }

  stop(): void {
    this.#stopped = true;
    this.#current?.stop();
    this.#lookups?.abort();
  }

  write(encoded: EncodedEvent): void {
    this.#next = encoded.event.index + 1;
    this.#subscriber.write(encoded);
  }

  writable(): boolean {
    return this.#subscriber.writable();
  }

  whenWritable(): Promise<void> {
    return this.#subscriber.whenWritable();
  }

  end(): void {
    this.#subscriber.end();
  }

  /** Expired before or while it was read: the saved answer goes on from the next index. */
  fail(error: unknown): void {
    if (this.#stopped) return;
    if (logVanished(error)) this.#replay();
    else this.#subscriber.fail(error);
  }

  #replay(): void {
    this.#replaySaved().catch((error: unknown) => {
      if (!this.#stopped) this.#subscriber.fail(error);
    });
  }

  async #replaySaved(): Promise<void> {
    const { streamId, ownerId } = this.#options;
    const fromIndex = this.#next;
    const { db, queries, store } = this.#sources;
    this.#lookups = new AbortController();
    const { signal } = this.#lookups;
    const find = () => queries.run(ownerId, () => findAnswerByStream(db.statements, streamId), signal);
    let message = await find();
    if (!message || message.ownerId !== ownerId) throw new StreamNotFoundError(streamId);
    // Not saved yet: its generator may be putting a lost log back (the store restarted empty). Wait
    // for the log (then read on from it) or for the saved answer, a while, before calling it lost.
    for (let waited = 0; message?.status === 'streaming' && waited < logReturnMs; waited += logPollMs) {
      await sleep(logPollMs);
      if (this.#stopped) return;
      const meta = await store.meta(streamId);
      // Back, and put back as far as this reader had read (the generator creates it, then fills it).
      if (meta?.ownerId === ownerId && meta.length >= this.#next) {
        this.#current = store.watch(streamId, this.#next, this);
        return;
      }
      if (waited % answerPollMs === 0) message = await find();
    }
    if (!message || message.status === 'streaming' || !message.replay) throw lostBeforeSaved(streamId);
    const answer = { content: message.content, replay: message.replay };
    const length = replayLength(answer.replay);
    if (fromIndex >= length) {
      // Saved without its log (recovery found it gone): the reader's index is past what could be kept.
      if (message.errorCode === SpoolErrorCode.streamLost) throw lostBeforeSaved(streamId);
      throw new IndexOutOfRangeError(streamId, fromIndex, length, true);
    }
    for (const event of replayEvents(answer, fromIndex)) {
      if (this.#stopped) return;
      if (!this.#subscriber.writable() && !(await untilWritable(this.#subscriber, () => this.#stopped))) return;
      this.#subscriber.write(new EncodedEvent(event));
    }
    this.#subscriber.end();
  }
}

/** How long a reader waits for a lost log to be put back by its generator, and how often it looks. */
const logReturnMs = 10_000;
const logPollMs = 250;
/** How often, meanwhile, it looks for the answer saved instead. */
const answerPollMs = 2_000;

function lostBeforeSaved(streamId: string): SpoolError {
  return new SpoolError(SpoolErrorCode.streamLost, `stream ${streamId} was lost before all of its answer was saved`);
}

function logVanished(error: unknown): boolean {
  return (
    error instanceof SpoolError &&
    (error.code === SpoolErrorCode.streamNotFound || error.code === SpoolErrorCode.streamLost)
  );
}
