import type { StreamEvent, TerminalEvent } from '@spool/shared';
import type { SpoolClient } from '../client.ts';
import { toSpoolError } from '../errors.ts';
import { readableOf } from './readable.ts';
import { type SpoolUIMessageChunk, uiChunksOf } from './ui-chunks.ts';

export interface AnswerStreamOptions {
  /** Stops reading (not the answer), as cancelling the returned stream does. */
  abortSignal?: AbortSignal | undefined;
  /** Called with the answer's terminal event as it is read. */
  onEnd?: (event: TerminalEvent) => void;
}

/**
 * A Spool answer from its first event, as UI message chunks. Resolves once that first event is in,
 * so that an answer Spool cannot stream (STREAM_NOT_FOUND...) rejects here with a `SpoolError`
 * (or with the abort reason, when `abortSignal` aborted first) instead of opening a stream.
 */
export async function openAnswerStream(
  client: Pick<SpoolClient, 'stream'>,
  streamId: string,
  options: AnswerStreamOptions = {},
): Promise<ReadableStream<SpoolUIMessageChunk>> {
  const leave = new AbortController();
  const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, leave.signal]) : leave.signal;
  const events = client.stream(streamId, { signal });
  let first: IteratorResult<StreamEvent, void>;
  try {
    first = await events.next();
  } catch (error) {
    throw signal.aborted ? error : toSpoolError(error);
  }
  const chunks = uiChunksOf(prepend(first, events), { signal, ...(options.onEnd ? { onEnd: options.onEnd } : {}) });
  return readableOf(chunks, () => {
    leave.abort(new DOMException('the reader cancelled the stream', 'AbortError'));
    // `events` is open already; the generator around it may not have started, so it cannot close it.
    events.return().catch((error: unknown) => console.warn(`spool: closing the stream of ${streamId} failed`, error));
  });
}

async function* prepend<T>(first: IteratorResult<T, void>, rest: AsyncGenerator<T, void>): AsyncGenerator<T, void> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}
