/**
 * The `stats` procedure of a server under test, Spool's or socket.io's, taken inside its process so
 * that both are measured the same way.
 */
import { collectGarbage } from './gc.ts';
import { monitorLoop } from './loop-monitor.ts';
import type { ServerApi, ServerStats } from './protocol.ts';
import { sleep, wallNow } from './time.ts';

const settleMs = 30;

/** Starts sampling this process; `liveListeners` counts the subscriptions that would receive an event now. */
export function serverStats(liveListeners: () => number): {
  stats: (arg: ServerApi['stats']['arg']) => Promise<ServerStats>;
  stop(): void;
} {
  // RSS is sampled between the parent's requests too: a peak mid-run would otherwise go unseen.
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  sampler.unref();
  const loop = monitorLoop();

  async function stats({ collect, resetPeak }: ServerApi['stats']['arg']): Promise<ServerStats> {
    if (collect) {
      collectGarbage();
      // Let the loop-delay timer run once after the collection's pause, so that the pause stays out of the window.
      await sleep(settleMs);
    }
    const rss = process.memoryUsage.rss();
    peakRss = resetPeak ? rss : Math.max(peakRss, rss);
    if (resetPeak) loop.reset();
    const cpu = process.cpuUsage();
    return {
      atMs: wallNow(),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: rss,
      heapUsedBytes: process.memoryUsage().heapUsed,
      peakRssBytes: peakRss,
      liveListeners: liveListeners(),
      loop: loop.stats(),
    };
  }

  return {
    stats,
    stop() {
      clearInterval(sampler);
      loop.stop();
    },
  };
}
