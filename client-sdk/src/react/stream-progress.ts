import type { StreamEvent } from '@spool/shared';

/** How far a stream was read, kept in `sessionStorage` so that a remounted or reloaded page goes on from there. */
export interface StreamProgress {
  /** The index of the last event taken into `text`; -1 before any. */
  lastIndex: number;
  text: string;
  /** Set once the stream has ended: there is nothing left to read. */
  terminal?: Extract<StreamEvent, { type: 'done' | 'error' }>;
}

const keyOf = (streamId: string) => `spool:stream:${streamId}`;

/** `sessionStorage`, where there is one (not in Node, nor where the browser refuses it). */
function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage ?? undefined;
  } catch {
    return undefined; // reading it throws where storage is disabled: progress is then kept in memory only
  }
}

export function loadProgress(streamId: string): StreamProgress | undefined {
  const saved = storage()?.getItem(keyOf(streamId));
  if (!saved) return undefined;
  try {
    const progress = JSON.parse(saved) as StreamProgress;
    return Number.isInteger(progress.lastIndex) && typeof progress.text === 'string' ? progress : undefined;
  } catch {
    return undefined; // not ours, or damaged: read the stream from the start instead
  }
}

export function saveProgress(streamId: string, progress: StreamProgress): void {
  try {
    storage()?.setItem(keyOf(streamId), JSON.stringify(progress));
  } catch (error) {
    // Storage full: resuming after a reload then starts over from the server's log, which is still exact.
    console.warn('spool: could not keep stream progress in sessionStorage', error);
  }
}
