/**
 * Values pushed by callbacks, read by one async iterator (one `next()` at a time): the bridge from
 * tRPC's observer callbacks to `for await`. `end(error)` ends it once the buffered values are read.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  #waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  #ended: { error: unknown } | undefined;

  push(value: T): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting.resolve({ value, done: false });
    else this.#buffer.push(value);
  }

  /** Ends the queue; the reader gets what is buffered, then `done` (no error) or the error. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = { error };
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (!waiting) return;
    if (error === undefined) waiting.resolve({ value: undefined, done: true });
    else waiting.reject(error);
  }

  /** Ends the queue at once: what is buffered is dropped, and the reader gets `reason`. */
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
      this.#waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
