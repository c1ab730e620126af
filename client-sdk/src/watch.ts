import type { StreamEvent } from '@spool/shared';
import { SpoolError } from './errors.ts';
import type { StreamOptions } from './stream.ts';

type DoneEvent = Extract<StreamEvent, { type: 'done' }>;

/** The callbacks form of `stream()`, for code that does not iterate. */
export interface WatchHandlers extends Omit<StreamOptions, 'signal'> {
  onEvent?: (event: StreamEvent) => void;
  onToken?: (text: string, event: StreamEvent) => void;
  onDone?: (event: DoneEvent) => void;
  /**
   * The answer failed (its `error` event), or watching it did (the connection could not be restored,
   * the stream does not exist...). Without it, a failure to watch is an unhandled rejection.
   */
  onError?: (error: SpoolError) => void;
}

/** Calls the handlers for each event until the stream ends; the returned function stops watching. */
export function watchStream(
  stream: (options: StreamOptions) => AsyncIterable<StreamEvent>,
  handlers: WatchHandlers,
): () => void {
  const { onEvent, onToken, onDone, onError, ...options } = handlers;
  const controller = new AbortController();
  void (async () => {
    try {
      for await (const event of stream({ ...options, signal: controller.signal })) {
        onEvent?.(event);
        if (event.type === 'token') onToken?.(event.text, event);
        if (event.type === 'done') onDone?.(event);
        if (event.type === 'error') onError?.(SpoolError.fromEvent(event));
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      // Without an onError, or for a handler's own throw, the error stays unhandled rather than unseen.
      if (error instanceof SpoolError && onError) onError(error);
      else throw error;
    }
  })();
  return () => controller.abort();
}
