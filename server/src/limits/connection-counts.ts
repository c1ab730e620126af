import { SpoolErrorCode } from '@spool/shared';
import { SpoolError } from '../errors.ts';

/** What a connection over the user's limit is refused with, on every transport. */
export function tooManyConnections(): SpoolError {
  return new SpoolError(SpoolErrorCode.tooManyConnections, 'too many connections for this user');
}

/** Open connections (WebSockets and SSE streams) per user on this instance, up to a limit. */
export class ConnectionCounts {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Counts one more for the user unless they hold the maximum already; returns whether it did. */
  tryOpen(userId: string): boolean {
    const open = this.#open.get(userId) ?? 0;
    if (open >= this.#max) return false;
    this.#open.set(userId, open + 1);
    return true;
  }

  /** The user's open connections. */
  openFor(userId: string): number {
    return this.#open.get(userId) ?? 0;
  }

  close(userId: string): void {
    const open = (this.#open.get(userId) ?? 1) - 1;
    if (open > 0) this.#open.set(userId, open);
    else this.#open.delete(userId);
  }
}
