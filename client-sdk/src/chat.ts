import type { FinishReason, SendMessageInput, SendMessageOutput, StreamEvent, Timings, Usage } from '@spool/shared';
import { AsyncQueue } from './async-queue.ts';
import { connectionLost, SpoolError } from './errors.ts';
import type { StreamOptions } from './stream.ts';

/** A finished answer, as `client.chat()` resolves it. */
export interface ChatResult extends SendMessageOutput {
  /** The whole answer: every token's text. */
  content: string;
  model: string;
  finishReason: FinishReason;
  usage: Usage | null;
  timings: Timings | undefined;
}

export interface ChatOptions extends Omit<SendMessageInput, 'content'> {
  /** Stops watching (the answer goes on: see `cancel()`). */
  signal?: AbortSignal;
  onToken?: (text: string) => void;
  onDone?: (result: ChatResult) => void;
  onError?: (error: SpoolError) => void;
}

/**
 * One message and its answer: iterate for the text as it arrives (once), or await it (or its
 * `result`) for the final message. An answer that fails rejects `result` (and throws from the iterator) with a `SpoolError`.
 * Leaving the loop early stops reading the text, not the answer: `result` still resolves; to stop
 * watching, abort `signal`; to stop the answer, `cancel()`. Being awaitable, a reply returned from an
 * async function (or passed to `Promise.resolve`) becomes its final message: return it from a plain one.
 */
export interface ChatReply extends AsyncIterable<string>, PromiseLike<ChatResult> {
  /** The ids, once the server has accepted the message. */
  readonly sent: Promise<SendMessageOutput>;
  readonly result: Promise<ChatResult>;
  /** Stops the answer (for every watcher); `result` then resolves with finishReason 'cancelled'. */
  cancel(): Promise<void>;
}

export interface ChatDeps {
  sendMessage(input: SendMessageInput): Promise<SendMessageOutput>;
  stream(streamId: string, options: StreamOptions): AsyncIterable<StreamEvent>;
  cancel(streamId: string): Promise<unknown>;
}

export function startChat(deps: ChatDeps, content: string, options: ChatOptions = {}): ChatReply {
  const { signal, onToken, onDone, onError, ...input } = options;
  const deltas = new AsyncQueue<string>();
  const sent = deps.sendMessage({ ...input, content });
  const result = (async (): Promise<ChatResult> => {
    const ids = await sent;
    let content = '';
    let model = '';
    for await (const event of deps.stream(ids.streamId, signal ? { signal } : {})) {
      if (event.type === 'start') model = event.model;
      if (event.type === 'token') {
        content += event.text;
        deltas.push(event.text);
        onToken?.(event.text);
      }
      if (event.type === 'error') throw SpoolError.fromEvent(event);
      if (event.type === 'done') {
        const { finishReason, usage, timings } = event;
        return { ...ids, content, model, finishReason, usage, timings };
      }
    }
    throw connectionLost('the stream ended without a terminal event');
  })();
  result.then(
    (done) => {
      deltas.end();
      onDone?.(done);
    },
    (error: unknown) => {
      deltas.end(error);
      if (error instanceof SpoolError) onError?.(error);
    },
  );
  // Rejections reach whoever awaits these or iterates; unobserved, they must not crash the app.
  sent.catch(() => {});
  return {
    sent,
    result,
    async cancel() {
      await deps.cancel((await sent).streamId);
    },
    [Symbol.asyncIterator]: () => deltas,
    // biome-ignore lint/suspicious/noThenProperty: awaiting the reply gives the final message, by design
    then: (onDone, onFailed) => result.then(onDone, onFailed),
  };
}
