import type { StreamEvent } from '@spool/shared';

export type LiveMessage = StreamEvent | 'resync' | 'idle' | 'aborted';

export interface LiveQueueOptions {
  /** Events buffered before the queue gives up on them and asks for a resync. */
  capacity: number;
  /** A wait that sees nothing for this long ends with 'idle'. */
  idleMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * The live side of one subscription: events pushed by the store's fan-out, taken by the reader.
 * Bounded: when the reader falls `capacity` events behind, the buffer is dropped and the reader is
 * told to resync from the log, so a slow reader costs the server no more than `capacity` events.
 * It is on the per-token path, so it keeps one timer and one abort listener for its whole life.
 */
export class LiveQueue {
  readonly #options: LiveQueueOptions;
  #items: StreamEvent[] = [];
  #resync = false;
  #wake: ((message: LiveMessage) => void) | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = () => this.#deliver('aborted');

  constructor(options: LiveQueueOptions) {
    this.#options = options;
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  push(event: StreamEvent): void {
    if (this.#wake) {
      this.#deliver(event);
    } else if (this.#items.length >= this.#options.capacity) {
      this.resync();
    } else if (!this.#resync) {
      this.#items.push(event);
    }
  }

  /** Events may have been missed (overflow, reconnect, undecodable message): re-read the log. */
  resync(): void {
    this.#items = [];
    if (this.#wake) {
      this.#deliver('resync');
    } else {
      this.#resync = true;
    }
  }

  /** The next message: at once if one is queued, else a promise of one. */
  next(): Promise<LiveMessage> | LiveMessage {
    if (this.#options.signal?.aborted) return 'aborted';
    if (this.#resync) {
      this.#resync = false;
      return 'resync';
    }
    const item = this.#items.shift();
    if (item) return item;
    if (this.#idleTimer) this.#idleTimer.refresh();
    else this.#idleTimer = setTimeout(() => this.#deliver('idle'), this.#options.idleMs).unref();
    return new Promise<LiveMessage>((resolve) => {
      this.#wake = resolve;
    });
  }

  close(): void {
    clearTimeout(this.#idleTimer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  #deliver(message: LiveMessage): void {
    const wake = this.#wake;
    if (!wake) return;
    this.#wake = undefined;
    wake(message);
  }
}
