/**
 * An async generator as a `ReadableStream`, read on demand (nothing is pulled ahead of the reader).
 * Cancelling the stream calls `onCancel` first (to abort what the generator awaits, which
 * `return()` alone would wait behind), then ends the generator, so its `finally` blocks run.
 */
export function readableOf<T>(source: AsyncGenerator<T, void>, onCancel: () => void): ReadableStream<T> {
  let cancelled = false;
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const next = await source.next();
        if (cancelled) return; // the reader left while this was pending
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        cancelled = true;
        onCancel();
        await source.return();
      },
    },
    { highWaterMark: 0 },
  );
}
