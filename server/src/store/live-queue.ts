import type { StreamEvent } from '@spool/shared';

export type LiveMessage = StreamEvent | 'resync' | 'idle' | 'aborted';

/**
 * The live side of one subscription: events pushed by the store's fan-out, taken by the reader.
 * Bounded: when the reader falls `capacity` events behind, the buffer is dropped and the reader is
 * told to resync from the log, so a slow reader costs the server no more than `capacity` events.
 */
export class LiveQueue {
  readonly #capacity: number;
  #items: StreamEvent[] = [];
  #resync = false;
  #wake: ((message: LiveMessage) => void) | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(event: StreamEvent): void {
    if (this.#wake) {
      this.#deliver(event);
    } else if (this.#items.length >= this.#capacity) {
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

  /** The next message; 'idle' when nothing arrived for `idleMs`, 'aborted' when `signal` aborts. */
  next(idleMs: number, signal: AbortSignal | undefined): Promise<LiveMessage> | LiveMessage {
    if (signal?.aborted) return 'aborted';
    if (this.#resync) {
      this.#resync = false;
      return 'resync';
    }
    const item = this.#items.shift();
    if (item) return item;
    return new Promise<LiveMessage>((resolve) => {
      const timer = setTimeout(() => this.#deliver('idle'), idleMs);
      const onAbort = () => this.#deliver('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = (message) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(message);
      };
    });
  }

  #deliver(message: LiveMessage): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.(message);
  }
}
