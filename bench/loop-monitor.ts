import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopStats {
  /** How late the event loop ran a 10 ms timer: what every callback waited on top of its own work. */
  delayP99Ms: number;
  delayMaxMs: number;
  gcCount: number;
  /** Garbage-collection pauses: their sum and the longest. */
  gcTotalMs: number;
  gcMaxMs: number;
}

/**
 * Event-loop delay and GC pauses of this process since the last `reset`: when latency spikes, these
 * say whether this process was stalled, and whether by its collector.
 */
export function monitorLoop(): { reset(): void; stats(): LoopStats; stop(): void } {
  const resolutionMs = 10;
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  // Entries arrive after the fact: a pause from before the last reset (say, a forced GC) is not this window's.
  let since = performance.now();
  let gcCount = 0;
  let gcTotalMs = 0;
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.startTime < since) continue;
      gcCount++;
      gcTotalMs += entry.duration;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return {
    reset() {
      since = performance.now();
      delay.reset();
      gcCount = 0;
      gcTotalMs = 0;
      gcMaxMs = 0;
    },
    stats() {
      // The histogram holds whole intervals between the timer's runs, in nanoseconds: the delay is the excess.
      const toMs = (ns: number) => (delay.count > 0 ? Math.max(0, ns / 1e6 - resolutionMs) : 0);
      return { delayP99Ms: toMs(delay.percentile(99)), delayMaxMs: toMs(delay.max), gcCount, gcTotalMs, gcMaxMs };
    },
    stop() {
      delay.disable();
      gc.disconnect();
    },
  };
}
