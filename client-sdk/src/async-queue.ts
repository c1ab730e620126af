interface Waiter<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: unknown) => void;
}

/**
 * Values pushed by callbacks, read by an async iterator: the bridge from tRPC's observer callbacks
 * to `for await`. `end(error)` ends it once the buffered values are read; `abort` at once.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  /** Readers waiting for a value, first come first served. */
  readonly #waiting: Waiter<T>[] = [];
  #ended: { error: unknown } | undefined;

  push(value: T): void {
    if (this.#ended) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else this.#buffer.push(value);
  }

  /** Ends the queue; readers get what is buffered, then `done` (no error) or the error. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = { error };
    for (const waiter of this.#waiting.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  /** Ends the queue at once: what is buffered is dropped, and readers get `reason`. */
  abort(reason: unknown): void {
    this.#buffer.length = 0;
    this.end(reason);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift() as T, done: false });
    if (this.#ended) {
      const { error } = this.#ended;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.abort(undefined);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
