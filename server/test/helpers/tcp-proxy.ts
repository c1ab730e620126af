import { connect, createServer, type Socket } from 'node:net';
import { listenForTest } from './listen.ts';

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones, as if the target were unreachable. */
  cut(): void;
  /** Lets connections through again. */
  restore(): void;
  /** Stops passing bytes on the open connections without closing them: a half-open network (new ones still pass). */
  freeze(): void;
}

/** A TCP proxy on port 0 in front of `target`, that a test can cut and restore; closed when the test finishes. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let open = true;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.once('close', () => pairs.delete(pair));
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  const port = await listenForTest(server, sockets);
  return {
    port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    freeze() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
      }
      pairs.clear();
    },
  };
}
