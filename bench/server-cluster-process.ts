/**
 * The Spool server under test as `SPOOL_PROCESSES=2` runs it: a cluster primary handing connections
 * to two full instances on one port. Its figures are the sum over the three processes (CPU, RSS,
 * live subscriptions), its loop figures the worse of the two instances', so that a case over two
 * processes is held to the same accounting as one over a single process.
 */
import cluster, { type Worker } from 'node:cluster';
import { startSpool } from '../server/src/app.ts';
import { loadConfig } from '../server/src/config.ts';
import { RedisStreamStore } from '../server/src/store/redis.ts';
import { serveParent } from './ipc.ts';
import type { ServerApi, ServerHello, ServerStats } from './protocol.ts';
import { serverStats } from './server-stats.ts';
import { wallNow } from './time.ts';

const processes = 2;

type ToInstance = { kind: 'stats'; id: number; arg: ServerApi['stats']['arg'] } | { kind: 'close' };
type FromInstance =
  | { kind: 'up'; hello: ServerHello }
  | { kind: 'stats'; id: number; stats: ServerStats }
  | { kind: 'closed' };

if (cluster.isPrimary) await runPrimary();
else await runInstance();

async function runInstance(): Promise<void> {
  const server = await startSpool(loadConfig(process.env));
  const { store } = server.services;
  const ownListeners = store instanceof RedisStreamStore ? store.liveListenerCount : 0;
  const sampling = serverStats(() => (store instanceof RedisStreamStore ? store.liveListenerCount - ownListeners : -1));
  const send = (message: FromInstance) => process.send?.(message);
  process.on('message', (message: ToInstance) => {
    if (message.kind === 'stats') {
      void sampling.stats(message.arg).then((stats) => send({ kind: 'stats', id: message.id, stats }));
    } else {
      sampling.stop();
      // Then this instance is done: its process ends, and the primary with the last of them.
      void server.close().then(() => process.send?.({ kind: 'closed' } satisfies FromInstance, () => process.exit(0)));
    }
  });
  send({ kind: 'up', hello: { url: server.url, port: server.port, pid: process.pid } });
}

async function runPrimary(): Promise<void> {
  const instances = Array.from({ length: processes }, () => cluster.fork());
  const hellos = await Promise.all(instances.map((worker) => reply(worker, (m) => (m.kind === 'up' ? m.hello : null))));
  const [first] = hellos as [ServerHello];
  let nextId = 0;
  const stats = async (arg: ServerApi['stats']['arg']): Promise<ServerStats> => {
    const id = nextId++;
    const all = await Promise.all(
      instances.map((worker) => {
        const answer = reply(worker, (m) => (m.kind === 'stats' && m.id === id ? m.stats : null));
        worker.send({ kind: 'stats', id, arg } satisfies ToInstance);
        return answer;
      }),
    );
    const own = process.cpuUsage();
    const sum = (of: (s: ServerStats) => number) => all.reduce((total, s) => total + of(s), 0);
    const worst = (of: (s: ServerStats) => number) => Math.max(...all.map(of));
    return {
      atMs: wallNow(),
      cpuUserUs: sum((s) => s.cpuUserUs) + own.user,
      cpuSystemUs: sum((s) => s.cpuSystemUs) + own.system,
      rssBytes: sum((s) => s.rssBytes) + process.memoryUsage.rss(),
      heapUsedBytes: sum((s) => s.heapUsedBytes),
      peakRssBytes: sum((s) => s.peakRssBytes) + process.memoryUsage.rss(),
      liveListeners: sum((s) => s.liveListeners),
      loop: {
        delayP99Ms: worst((s) => s.loop.delayP99Ms),
        delayMaxMs: worst((s) => s.loop.delayMaxMs),
        gcCount: sum((s) => s.loop.gcCount),
        gcTotalMs: sum((s) => s.loop.gcTotalMs),
        gcMaxMs: worst((s) => s.loop.gcMaxMs),
      },
    };
  };
  serveParent<ServerApi>(
    { url: first.url, port: first.port, pid: process.pid } satisfies ServerHello,
    { stats },
    async () => {
      await Promise.all(
        instances.map((worker) => {
          const closed = reply(worker, (m) => (m.kind === 'closed' ? true : null));
          worker.send({ kind: 'close' } satisfies ToInstance);
          return closed;
        }),
      );
    },
  );
}

/** The first message of `worker` that `pick` accepts. */
function reply<T>(worker: Worker, pick: (message: FromInstance) => T | null): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromInstance) => {
      const picked = pick(message);
      if (picked === null) return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(picked);
    };
    const onExit = (code: number) => reject(new Error(`a server instance exited with ${code}`));
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
