import type { StreamEvent, TerminalEvent } from '@spool/shared';
import type { UIMessageChunk } from 'ai';
import { SpoolError, toSpoolError } from '../errors.ts';
import { type SpoolDataTypes, type SpoolMessageMetadata, uiFinishReason } from './metadata.ts';

export type SpoolUIMessageChunk = UIMessageChunk<SpoolMessageMetadata, SpoolDataTypes>;

export interface UIChunksOptions {
  /** Aborted when the reader has left: a failure after that is nobody's news. */
  signal: AbortSignal;
  /** Called with the answer's terminal event as it is read: the answer is over. */
  onEnd?: (event: TerminalEvent) => void;
}

/** The one text part of an answer: Spool streams plain text. */
const textId = 'text';

/**
 * A Spool answer's events as the AI SDK's UI message chunks: `start` (the message id is Spool's
 * assistant message id), the tokens as one text part, `progress` as transient data, then `finish`,
 * `abort` (cancelled) or `error`. A failure of the stream itself (a `SpoolError` thrown once the
 * connection could not be restored) becomes an `error` chunk too: the AI SDK reads errors from the
 * stream, and the answer may still be going on the server, to be resumed.
 */
export async function* uiChunksOf(
  events: AsyncIterable<StreamEvent>,
  options: UIChunksOptions,
): AsyncGenerator<SpoolUIMessageChunk, void> {
  let ids: Pick<SpoolMessageMetadata, 'conversationId' | 'streamId' | 'model'> | undefined;
  let textOpen = false;
  /** The chunks that close the text part (a delta must follow its start; an end marks the part done). */
  const endText = (): SpoolUIMessageChunk[] => {
    if (!textOpen) return [];
    textOpen = false;
    return [{ type: 'text-end', id: textId }];
  };
  /** Metadata for the end of the answer, merged by the AI SDK into what `start` gave. */
  const ending = (more: Partial<SpoolMessageMetadata>): SpoolUIMessageChunk[] =>
    ids ? [{ type: 'message-metadata', messageMetadata: { ...ids, ...more } }] : [];
  const failure = ({ code, retryable, retryAfterMs, message }: SpoolError): SpoolUIMessageChunk[] => [
    ...endText(),
    ...ending({ error: { code, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } }),
    { type: 'error', errorText: message },
  ];

  try {
    for await (const event of events) {
      switch (event.type) {
        case 'start':
          ids = { conversationId: event.conversationId, streamId: event.streamId, model: event.model };
          yield { type: 'start', messageId: event.messageId, messageMetadata: ids };
          break;
        case 'token':
          if (!textOpen) {
            textOpen = true;
            yield { type: 'text-start', id: textId };
          }
          yield { type: 'text-delta', id: textId, delta: event.text };
          break;
        case 'progress':
          yield {
            type: 'data-spool-progress',
            data: { stage: event.stage, fraction: event.fraction },
            transient: true,
          };
          break;
        case 'log':
          break; // for operators and debugging, not part of the message
        case 'done': {
          options.onEnd?.(event);
          const { finishReason, usage, timings } = event;
          yield* endText();
          yield* ending({ finishReason, usage, timings });
          if (finishReason === 'cancelled') yield { type: 'abort', reason: 'cancelled' };
          else yield { type: 'finish', finishReason: uiFinishReason(finishReason) };
          return;
        }
        case 'error':
          options.onEnd?.(event);
          yield* failure(SpoolError.fromEvent(event));
          return;
      }
    }
  } catch (error) {
    if (options.signal.aborted) return;
    yield* failure(toSpoolError(error));
  }
}
