import { isTerminalEvent, type StreamEvent, type TerminalEvent } from '@spool/shared';
import { useCallback, useEffect, useState } from 'react';
import { SpoolError } from '../errors.ts';
import type { StreamStatus } from '../stream.ts';
import { useSpoolClient } from './provider.ts';
import { loadProgress, type StreamProgress, saveProgress } from './stream-progress.ts';

/**
 * `done` and `error`: the end (`error`: the answer failed, or it cannot be watched: no such stream,
 * a refused token). `disconnected`: the connection could not be restored within the retries; the
 * answer may go on, and `reconnect()` watches again.
 */
export type SpoolStreamStatus = 'idle' | StreamStatus | 'done' | 'error' | 'disconnected';

export interface SpoolStreamState {
  /** The answer so far: every token's text from the first index read. */
  text: string;
  /** The events this mount received (after a remount, those since the saved index). */
  events: StreamEvent[];
  status: SpoolStreamStatus;
  /** Why the answer failed or cannot be watched (`error`), or why watching it stopped (`disconnected`). */
  error: SpoolError | undefined;
  /** The index of the last event taken in; -1 before any. */
  lastIndex: number;
  /** After `disconnected`: watch again from the next index. */
  reconnect(): void;
}

export interface UseSpoolStreamOptions {
  /** Where to start when nothing was read before; default 0. */
  fromIndex?: number;
}

type State = Omit<SpoolStreamState, 'reconnect'>;
const idle: State = { text: '', events: [], status: 'idle', error: undefined, lastIndex: -1 };

/** How often, at most, progress is written to sessionStorage while a stream runs (and always at its end). */
const saveEveryMs = 250;

/**
 * The live state of a stream. It resumes by itself after a dropped connection, and after a remount
 * or a page reload from the last index read (kept in `sessionStorage`), so the text is never
 * missing a part nor repeated. Unmounting stops watching; the answer goes on on the server.
 */
export function useSpoolStream(streamId: string | undefined, options: UseSpoolStreamOptions = {}): SpoolStreamState {
  const client = useSpoolClient();
  const [state, setState] = useState<State>(idle);
  const [watch, setWatch] = useState(0);
  const reconnect = useCallback(() => setWatch((count) => count + 1), []);
  const { fromIndex = 0 } = options;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `watch` is how reconnect() runs it again
  useEffect(() => {
    if (!streamId) {
      setState(idle);
      return;
    }
    let progress: StreamProgress = loadProgress(streamId) ?? { lastIndex: fromIndex - 1, text: '' };
    let current: State = {
      ...idle,
      text: progress.text,
      lastIndex: progress.lastIndex,
      ...(progress.terminal ? endOf(progress.terminal) : { status: 'connecting' }),
    };
    setState(current);
    if (progress.terminal) return;

    const controller = new AbortController();
    const update = (next: Partial<State>) => {
      if (controller.signal.aborted) return; // a late callback of a stream this effect no longer shows
      current = { ...current, ...next };
      setState(current);
    };
    let savedAt = 0;
    const keep = (force: boolean) => {
      if (!force && Date.now() - savedAt < saveEveryMs) return;
      savedAt = Date.now();
      saveProgress(streamId, progress);
    };
    // A reload does not unmount: save on the way out, so the next page goes on from the exact index.
    const onPageHide = () => keep(true);
    globalThis.addEventListener?.('pagehide', onPageHide);
    void (async () => {
      try {
        const events = client.stream(streamId, {
          fromIndex: progress.lastIndex + 1,
          signal: controller.signal,
          onStatus: (status) => update({ status }),
        });
        for await (const event of events) {
          const terminal = isTerminalEvent(event) ? event : undefined;
          const text = event.type === 'token' ? progress.text + event.text : progress.text;
          progress = { lastIndex: event.index, text, ...(terminal ? { terminal } : {}) };
          keep(terminal !== undefined);
          update({
            text,
            lastIndex: event.index,
            events: [...current.events, event],
            ...(terminal ? endOf(terminal) : {}),
          });
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (!(error instanceof SpoolError)) throw error;
        // Retries spent: the answer may go on, watching may work later. Otherwise (no such stream,
        // a refused token, a closed client) it never will: the end, as for a failed answer.
        update({ status: error.retryable ? 'disconnected' : 'error', error });
      }
    })();
    return () => {
      globalThis.removeEventListener?.('pagehide', onPageHide);
      controller.abort();
      // Saved already at the end; and whoever keeps the answer now (useChat) may have removed it.
      if (!progress.terminal) keep(true);
    };
  }, [client, streamId, fromIndex, watch]);

  return { ...state, reconnect };
}

function endOf(event: TerminalEvent): Partial<State> {
  return event.type === 'done'
    ? { status: 'done', error: undefined }
    : { status: 'error', error: SpoolError.fromEvent(event) };
}
