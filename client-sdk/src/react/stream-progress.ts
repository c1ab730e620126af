import type { TerminalEvent } from '@spool/shared';
import { readStored, removeStored, writeStored } from './session-storage.ts';

/** How far a stream was read, kept in `sessionStorage` so that a remounted or reloaded page goes on from there. */
export interface StreamProgress {
  /** The index of the last event taken into `text`; -1 before any. */
  lastIndex: number;
  text: string;
  /** Set once the stream has ended: there is nothing left to read. */
  terminal?: TerminalEvent;
}

const keyOf = (streamId: string) => `spool:stream:${streamId}`;

export function loadProgress(streamId: string): StreamProgress | undefined {
  const saved = readStored(keyOf(streamId)) as Partial<StreamProgress> | undefined;
  return saved && Number.isInteger(saved.lastIndex) && typeof saved.text === 'string'
    ? (saved as StreamProgress)
    : undefined;
}

export function saveProgress(streamId: string, progress: StreamProgress): void {
  writeStored(keyOf(streamId), progress);
}

/** Once the answer is kept elsewhere (a chat transcript), its progress is not needed. */
export function forgetProgress(streamId: string): void {
  removeStored(keyOf(streamId));
}
