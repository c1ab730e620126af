import { once } from 'node:events';
import net from 'node:net';

/** A free TCP port on loopback, as the OS hands it out (for a server that cannot listen on port 0 itself). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}
