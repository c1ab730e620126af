export interface RetryEachOptions<T> {
  run(item: T): Promise<void>;
  /** The pause before trying the failed items again after round `round`; undefined: no more rounds. */
  retryMs(round: number): number | undefined;
  /** Whether an item that failed is still worth trying when its next round comes. */
  wanted(item: T): boolean;
  /** A round with failures: its first error and how many failed. Called for rounds 0, 10, 20...: one line, not a flood. */
  onFailures(error: unknown, failed: number, round: number): void;
}

/**
 * Runs `run` for every item at once; the items that fail are run again after `retryMs`, round after
 * round, while they are `wanted`. For what must happen for each of many items after a store comes
 * back, when part of it (a cluster master) may still be away.
 */
export function retryEach<T>(items: readonly T[], options: RetryEachOptions<T>, round = 0): void {
  if (items.length === 0) return;
  Promise.allSettled(items.map((item) => options.run(item))).then((results) => {
    const failed = items.filter((_, i) => results[i]?.status === 'rejected');
    if (failed.length === 0) return;
    if (round % 10 === 0) {
      const first = results.find((result) => result.status === 'rejected');
      options.onFailures(first?.status === 'rejected' ? first.reason : undefined, failed.length, round);
    }
    const retryMs = options.retryMs(round);
    if (retryMs === undefined) return;
    setTimeout(() => retryEach(failed.filter(options.wanted), options, round + 1), retryMs).unref();
  });
}
