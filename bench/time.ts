/**
 * Wall-clock time in milliseconds with sub-millisecond resolution. Each process anchors
 * `performance.now()` to the wall clock at its start, so two processes on one machine agree to within
 * what `measureOffset` finds; latencies are corrected by that offset.
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type Within<T> = { done: true; value: T } | { done: false };

/** Waits for `promise` at most `ms`; its rejection propagates. The timer is cleared, so it never holds the process. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<Within<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Within<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value): Within<T> => ({ done: true, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ClockOffset {
  /** The other process's clock minus ours. */
  offsetMs: number;
  /** Round trip of the sample the offset comes from: the offset is known to within half of it. */
  rttMs: number;
}

/**
 * NTP-style estimate of another process's clock against ours: ask for its time, assume the answer was
 * taken halfway through the round trip, and keep the sample with the shortest round trip.
 */
export async function measureOffset(readRemote: () => Promise<number>, samples: number): Promise<ClockOffset> {
  let best: ClockOffset = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < samples; i++) {
    const sentAt = wallNow();
    const remote = await readRemote();
    const receivedAt = wallNow();
    const rttMs = receivedAt - sentAt;
    if (rttMs < best.rttMs) best = { offsetMs: remote - (sentAt + receivedAt) / 2, rttMs };
  }
  return best;
}
