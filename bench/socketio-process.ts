/**
 * The peer users would pick instead of Spool: a socket.io 4 server on `@socket.io/redis-adapter`, one
 * room per stream, which the generator feeds through `@socket.io/redis-emitter`. Alone in its process,
 * like server-process.ts, so that its CPU and RSS are measured the same way. Configured from the same
 * environment (REDIS_URL, SPOOL_REDIS_PREFIX).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { createLogger } from '../server/src/logger.ts';
import { connectRedis } from '../server/src/store/redis-connection.ts';
import { errorMessage, serveParent } from './ipc.ts';
import type { ServerApi, ServerHello } from './protocol.ts';
import { serverStats } from './server-stats.ts';

const { REDIS_URL: redisUrl, SPOOL_REDIS_PREFIX: prefix } = process.env;
// Both come from run.ts; the prefix keeps this case's channels apart from every other case's.
if (!redisUrl || !prefix) throw new Error('REDIS_URL and SPOOL_REDIS_PREFIX must be set');
const log = createLogger('warn');
// Connections set up as Spool's server sets up its own, so that neither side gets a better Redis client.
const [pub, sub] = await Promise.all([
  connectRedis({ url: redisUrl }, 'commands', log),
  connectRedis({ url: redisUrl }, 'subscriber', log),
]);

const http = createServer();
const io = new Server(http, { adapter: createAdapter(pub, sub, { key: prefix }), serveClient: false });
// The adapter sends its PSUBSCRIBE without waiting for the reply. Redis answers in order, so once this
// PING is answered every room's events reach this process.
await sub.ping();

io.on('connection', (socket) => {
  // Our own client's event: a stream id to watch, acknowledged once the room is joined (null) or with why not.
  socket.on('watch', (room: string, answer: (error: string | null) => void) => {
    Promise.resolve(socket.join(room)).then(
      () => answer(null),
      (error: unknown) => answer(errorMessage(error)),
    );
  });
});

http.listen(0, '127.0.0.1');
await once(http, 'listening');
const { port } = http.address() as AddressInfo;

/** Sockets' memberships of stream rooms: every room but the one each socket has of its own id. */
function roomMemberships(): number {
  const namespace = io.of('/');
  let memberships = 0;
  for (const members of namespace.adapter.rooms.values()) memberships += members.size;
  return memberships - namespace.sockets.size;
}

const sampling = serverStats(roomMemberships);

serveParent<ServerApi>(
  { url: `http://127.0.0.1:${port}`, port, pid: process.pid } satisfies ServerHello,
  { stats: sampling.stats },
  async () => {
    sampling.stop();
    // Closes the sockets, the adapter (its PUNSUBSCRIBE) and the HTTP server; the callback has the latter's error.
    await new Promise<void>((resolve, reject) => {
      io.close((error) => (error ? reject(error) : resolve())).catch(reject);
    });
    await Promise.all([pub.quit(), sub.quit()]);
  },
);
