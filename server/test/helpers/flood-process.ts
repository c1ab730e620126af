import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

/**
 * A flooding client in a process of its own (so that its sending costs the server's process nothing):
 * `node flood-process.ts <ws url> <token> <sockets> <frames>` opens the sockets as the token's user,
 * prints `ready`, and on a line on stdin sends `frames` subscription requests on each at once; then
 * prints their close codes as JSON.
 */
const [url = '', token = '', sockets = '1', frames = '1'] = process.argv.slice(2);

const opened = await Promise.all(
  Array.from({ length: Number(sockets) }, async () => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    socket.on('error', () => 'the close code says what happened');
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await once(socket, 'open');
    return { socket, closed };
  }),
);
process.stdout.write('ready\n');
await once(process.stdin, 'data');
for (const { socket } of opened) {
  // All in one write, as a client on another machine would manage: what is measured is the server.
  const tcp = (socket as unknown as { _socket: Socket })._socket;
  tcp.cork();
  for (let id = 1; id <= Number(frames); id++) {
    const input = { streamId: crypto.randomUUID() };
    socket.send(JSON.stringify({ id, method: 'subscription', params: { path: 'stream', input } }));
  }
  tcp.uncork();
}
const codes = await Promise.all(opened.map(({ closed }) => closed));
process.stdout.write(`${JSON.stringify(codes)}\n`);
process.exit(0);
