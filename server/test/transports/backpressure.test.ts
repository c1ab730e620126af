import { once } from 'node:events';
import type net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { backpressure, socketBackpressure } from '../../src/transports/backpressure.ts';

/** A connected pair of real sockets; the client's TCP socket can be paused to stop reading. */
async function socketPair() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
  await once(client, 'open');
  onTestFinished(() => client.terminate());
  const [server] = await accepted;
  // `ws` keeps the TCP socket private; pausing it is how a client that stops reading looks on the wire.
  const tcp = (client as unknown as { _socket: net.Socket })._socket;
  return { server, client, tcp };
}

describe('WebSocket backpressure', () => {
  it('stops the sender once a client that does not read has a full buffer, and lets it go on after', async () => {
    const { server, client, tcp } = await socketPair();
    const maxBufferedBytes = 64 * 1024;
    const waitForDrain = socketBackpressure(server, maxBufferedBytes);
    tcp.pause();
    const chunk = 'x'.repeat(1024);
    let sent = 0;
    let draining: Promise<void> | undefined;
    while (!draining && sent < 100_000) {
      server.send(chunk);
      sent += 1;
      draining = waitForDrain();
    }
    expect(draining).toBeDefined();
    expect(server.bufferedAmount).toBeLessThanOrEqual(maxBufferedBytes + chunk.length);

    let received = 0;
    client.on('message', () => {
      received += 1;
    });
    tcp.resume();
    await draining;
    expect(server.bufferedAmount).toBeLessThanOrEqual(maxBufferedBytes / 2);
    await expect.poll(() => received).toBe(sent);
  });

  it('makes a writer wait a turn even for a connection that is closing with a full buffer, so it cannot spin', async () => {
    const waitForDrain = backpressure(
      () => 1 << 20,
      () => false,
      1024,
    );
    const order: string[] = [];
    const waited = waitForDrain()?.then(() => order.push('waited'));
    setImmediate(() => order.push('next turn'));
    await waited;
    expect(order).toEqual(['next turn', 'waited']);
  });
});
