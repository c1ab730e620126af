/** Thrown by `FifoSemaphore.acquire` when its deadline passes before a slot frees up. */
export class QueueDeadlineError extends Error {
  constructor() {
    super('waited past the deadline for a free slot');
    this.name = 'QueueDeadlineError';
  }
}

interface Waiter {
  grant(): void;
  refuse(): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * At most `size` holders at once; the rest wait their turn, first come first served, each until its
 * own deadline at most. A burst queues here rather than in a connection pool, whose timeout cannot
 * tell "busy" from "unreachable".
 */
export class FifoSemaphore {
  readonly size: number;
  #held = 0;
  readonly #waiting: Waiter[] = [];
  #head = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a semaphore needs a size of 1 or more, not ${size}`);
    this.size = size;
  }

  /** Holders now. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Resolves with the function that gives the slot back (call it once); rejects with `QueueDeadlineError` at `deadlineAt` (ms since epoch). */
  acquire(deadlineAt?: number): Promise<() => void> {
    if (this.#held < this.size && this.waiting === 0) {
      this.#held++;
      return Promise.resolve(this.#releaser());
    }
    const { promise, resolve, reject } = Promise.withResolvers<() => void>();
    const waiter: Waiter = {
      grant: () => {
        clearTimeout(waiter.timer);
        resolve(this.#releaser());
      },
      refuse: () => reject(new QueueDeadlineError()),
      timer: undefined,
    };
    if (deadlineAt !== undefined) {
      waiter.timer = setTimeout(() => this.#expire(waiter), Math.max(0, deadlineAt - Date.now()));
    }
    this.#waiting.push(waiter);
    return promise;
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#shift();
      if (next) next.grant();
      else this.#held--;
    };
  }

  #shift(): Waiter | undefined {
    const next = this.#waiting[this.#head];
    if (!next) return undefined;
    this.#head++;
    // Drop the served prefix now and then, not on every shift: an array shift is O(n) per call.
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
    return next;
  }

  #expire(waiter: Waiter): void {
    const at = this.#waiting.indexOf(waiter, this.#head);
    if (at === -1) return; // granted in the same turn
    this.#waiting.splice(at, 1);
    waiter.refuse();
  }
}
