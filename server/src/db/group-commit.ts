interface Pending<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions<Item, Result> {
  /** Batches in flight at once: the connections they run on. */
  maxInFlight: number;
  /** Items in one batch at most. */
  maxBatch: number;
  /**
   * Writes a batch as one statement; returns one outcome per item, in order: its result, or the
   * error that item alone failed with. A throw fails the whole batch.
   */
  commit(items: Item[]): Promise<(Result | Error)[]>;
}

/**
 * Group commit: writes arriving while the connections are busy, or in the same event-loop turn, go
 * to the database together, as one statement and one transaction. A burst of answers then costs a
 * few round trips and fsyncs instead of one each; a lone write waits for nothing but the end of its turn.
 */
export class GroupCommit<Item, Result> {
  readonly #options: GroupCommitOptions<Item, Result>;
  #queue: Pending<Item, Result>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: GroupCommitOptions<Item, Result>) {
    this.#options = options;
  }

  write(item: Item): Promise<Result> {
    const { promise, resolve, reject } = Promise.withResolvers<Result>();
    this.#queue.push({ item, resolve, reject });
    this.#schedule();
    return promise;
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // After the rest of this turn's I/O callbacks: the writes they make join this batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      this.#inFlight++;
      this.#commit(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
    }
  }

  async #commit(batch: Pending<Item, Result>[]): Promise<void> {
    try {
      const outcomes = await this.#options.commit(batch.map((pending) => pending.item));
      batch.forEach((pending, i) => {
        const outcome = outcomes[i];
        if (outcome instanceof Error) pending.reject(outcome);
        else pending.resolve(outcome as Result);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
