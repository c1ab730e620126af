import type { Server, Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * Listens on a free loopback port; when the test finishes, destroys `sockets` (those the server's
 * connections opened) and closes it. Resolves with the port.
 */
export async function listenForTest(server: Server, sockets: Set<Socket>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return address.port;
}
