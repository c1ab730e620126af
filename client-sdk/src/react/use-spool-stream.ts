import { isTerminalEvent, type StreamEvent } from '@spool/shared';
import { useEffect, useState } from 'react';
import { SpoolError } from '../errors.ts';
import type { StreamStatus } from '../stream.ts';
import { useSpoolClient } from './provider.ts';
import { loadProgress, type StreamProgress, saveProgress } from './stream-progress.ts';

export type SpoolStreamStatus = 'idle' | StreamStatus | 'done' | 'error';

export interface SpoolStreamState {
  /** The answer so far: every token's text from the first index read. */
  text: string;
  /** The events this mount received (after a remount, those since the saved index). */
  events: StreamEvent[];
  status: SpoolStreamStatus;
  /** The answer's failure (its `error` event), or watching's (the connection could not be restored). */
  error: SpoolError | undefined;
  /** The index of the last event taken in; -1 before any. */
  lastIndex: number;
}

export interface UseSpoolStreamOptions {
  /** Where to start when nothing was read before; default 0. */
  fromIndex?: number;
}

const idle: SpoolStreamState = { text: '', events: [], status: 'idle', error: undefined, lastIndex: -1 };

/** How often, at most, progress is written to sessionStorage while a stream runs (and always at its end). */
const saveEveryMs = 250;

/**
 * The live state of a stream. It resumes by itself after a dropped connection, and after a remount
 * or a page reload from the last index read (kept in `sessionStorage`), so the text is never
 * missing a part nor repeated. Unmounting stops watching; the answer goes on on the server.
 */
export function useSpoolStream(streamId: string | undefined, options: UseSpoolStreamOptions = {}): SpoolStreamState {
  const client = useSpoolClient();
  const [state, setState] = useState<SpoolStreamState>(idle);
  const { fromIndex = 0 } = options;

  useEffect(() => {
    if (!streamId) {
      setState(idle);
      return;
    }
    const saved = loadProgress(streamId);
    let progress: StreamProgress = saved ?? { lastIndex: fromIndex - 1, text: '' };
    let current: SpoolStreamState = {
      ...idle,
      text: progress.text,
      lastIndex: progress.lastIndex,
      ...(progress.terminal ? endOf(progress.terminal) : { status: 'connecting' }),
    };
    setState(current);
    if (progress.terminal) return;

    const controller = new AbortController();
    let savedAt = 0;
    const keep = (force: boolean) => {
      if (!force && Date.now() - savedAt < saveEveryMs) return;
      savedAt = Date.now();
      saveProgress(streamId, progress);
    };
    const update = (next: Partial<SpoolStreamState>) => {
      current = { ...current, ...next };
      setState(current);
    };
    void (async () => {
      try {
        const events = client.stream(streamId, {
          fromIndex: progress.lastIndex + 1,
          signal: controller.signal,
          onStatus: (status) => update({ status }),
        });
        for await (const event of events) {
          const text = event.type === 'token' ? progress.text + event.text : progress.text;
          progress = { lastIndex: event.index, text, ...(isTerminalEvent(event) ? { terminal: event } : {}) };
          keep(isTerminalEvent(event));
          update({
            text,
            lastIndex: event.index,
            events: [...current.events, event],
            ...(isTerminalEvent(event) ? endOf(event) : {}),
          });
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        update({ status: 'error', error: error instanceof SpoolError ? error : undefined });
        if (!(error instanceof SpoolError)) throw error;
      }
    })();
    return () => {
      controller.abort();
      keep(true);
    };
  }, [client, streamId, fromIndex]);

  return state;
}

function endOf(event: NonNullable<StreamProgress['terminal']>): Partial<SpoolStreamState> {
  return event.type === 'done'
    ? { status: 'done', error: undefined }
    : { status: 'error', error: SpoolError.fromEvent(event) };
}
