/**
 * The Spool server under test, alone in its process so that its CPU and RSS are its own. Configured
 * from the environment run.ts gives it (REDIS_URL, SPOOL_REDIS_PREFIX, PORT=0, ...), like `npm start`.
 */
import { startSpool } from '../server/src/app.ts';
import { loadConfig } from '../server/src/config.ts';
import { RedisStreamStore } from '../server/src/store/redis.ts';
import { serveParent } from './ipc.ts';
import type { ServerApi, ServerHello } from './protocol.ts';
import { serverStats } from './server-stats.ts';

const server = await startSpool(loadConfig(process.env));
const { store } = server.services;
// The store listens on the instance's own cancel channel from the start: what is counted is the streams'.
const ownListeners = store instanceof RedisStreamStore ? store.liveListenerCount : 0;
const sampling = serverStats(() => (store instanceof RedisStreamStore ? store.liveListenerCount - ownListeners : -1));

serveParent<ServerApi>(
  { url: server.url, port: server.port, pid: process.pid } satisfies ServerHello,
  { stats: sampling.stats },
  async () => {
    sampling.stop();
    await server.close();
  },
);
