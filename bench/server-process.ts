/**
 * The Spool server under test, alone in its process so that its CPU and RSS are its own. Configured
 * from the environment run.ts gives it (REDIS_URL, SPOOL_REDIS_PREFIX, PORT=0, ...), like `npm start`.
 */
import { startSpool } from '../server/src/app.ts';
import { loadConfig } from '../server/src/config.ts';
import { RedisStreamStore } from '../server/src/store/redis.ts';
import { collectGarbage } from './gc.ts';
import { serveParent } from './ipc.ts';
import { monitorLoop } from './loop-monitor.ts';
import type { ServerApi, ServerHello, ServerStats } from './protocol.ts';
import { sleep, wallNow } from './time.ts';

const settleMs = 30;

const server = await startSpool(loadConfig(process.env));

// RSS is sampled between the parent's requests too: a peak mid-run would otherwise go unseen.
let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);
sampler.unref();
const loop = monitorLoop();

async function stats(collect: boolean, resetPeak: boolean): Promise<ServerStats> {
  if (collect) {
    collectGarbage();
    // Let the loop-delay timer run once after the collection's pause, so that the pause stays out of the window.
    await sleep(settleMs);
  }
  const rss = process.memoryUsage.rss();
  peakRss = resetPeak ? rss : Math.max(peakRss, rss);
  if (resetPeak) loop.reset();
  const cpu = process.cpuUsage();
  const { store } = server.services;
  return {
    atMs: wallNow(),
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rssBytes: rss,
    heapUsedBytes: process.memoryUsage().heapUsed,
    peakRssBytes: peakRss,
    liveListeners: store instanceof RedisStreamStore ? store.liveListenerCount : -1,
    loop: loop.stats(),
  };
}

serveParent<ServerApi>(
  { url: server.url, port: server.port, pid: process.pid } satisfies ServerHello,
  { stats: ({ collect, resetPeak }) => stats(collect, resetPeak) },
  async () => {
    clearInterval(sampler);
    loop.stop();
    await server.close();
  },
);
