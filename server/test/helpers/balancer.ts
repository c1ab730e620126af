import { connect, createServer, type Socket } from 'node:net';
import { listenForTest } from './listen.ts';

export interface Balancer {
  port: number;
  /** The backends new connections go to, in turn; connections already made stay where they are. */
  backends: number[];
}

/**
 * A TCP balancer of the test's own on port 0, as a platform's would be: each new connection goes to
 * the next backend in turn, and to the one after when that one refuses it (an instance that stopped
 * listening). Closed when the test finishes.
 */
export async function startBalancer(backends: number[]): Promise<Balancer> {
  const balancer: Balancer = { port: 0, backends };
  const sockets = new Set<Socket>();
  let next = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    client.pause();
    client.once('error', () => client.destroy());
    const attempt = (tries: number) => {
      const ports = balancer.backends;
      if (tries >= ports.length) {
        client.destroy();
        return;
      }
      const port = ports[next++ % ports.length] ?? 0;
      const upstream = connect(port, '127.0.0.1');
      upstream.once('error', () => (upstream.readyState === 'opening' ? attempt(tries + 1) : client.destroy()));
      upstream.once('connect', () => {
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.resume();
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
    };
    attempt(0);
  });
  balancer.port = await listenForTest(server, sockets);
  return balancer;
}
