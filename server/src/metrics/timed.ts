/** Sees one call once it is over: how long it took (seconds), and the error if it failed. */
export type DurationObserver = (seconds: number, error: unknown) => void;

/** Runs `call`, and tells `observe` how long it took and how it ended; `call`'s result or failure is passed on. */
export async function timed<T>(call: () => Promise<T>, observe: DurationObserver): Promise<T> {
  const began = performance.now();
  try {
    const result = await call();
    observe((performance.now() - began) / 1000, undefined);
    return result;
  } catch (error) {
    observe((performance.now() - began) / 1000, error);
    throw error;
  }
}
