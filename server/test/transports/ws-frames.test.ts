import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import * as ws from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { tcpSocketOf, writeTextFrame } from '../../src/transports/ws-frames.ts';

/** ws's own framing (its `Sender`, exported but not in its type definitions). */
const sender = (ws as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender;

async function connectedPair() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  await new Promise((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  onTestFinished(() => client.terminate());
  return { client, server: await accepted };
}

it('writes the frames ws itself would write, for every payload length class', () => {
  for (const length of [0, 1, 125, 126, 65_535, 65_536, 200_000]) {
    const text = 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2);
    const head = Buffer.from(text.slice(0, 3));
    const tail = Buffer.from(text.slice(3));
    const written: Buffer[] = [];
    writeTextFrame({ write: (chunk: Buffer) => written.push(chunk) } as unknown as net.Socket, head, tail);
    const options = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false };
    const theirs = sender.frame(Buffer.from(text), options);
    expect(Buffer.concat(written)).toEqual(Buffer.concat(theirs));
  }
});

it("reaches ws's TCP socket, and frames written there arrive in order between ws's own, inside one cork", async () => {
  const { client, server } = await connectedPair();
  const socket = tcpSocketOf(server);
  expect(socket).toBeInstanceOf(net.Socket);
  const received: string[] = [];
  const all = new Promise<void>((resolve) =>
    client.on('message', (data) => received.push(data.toString()) === 3 && resolve()),
  );
  socket.cork();
  server.send('one');
  writeTextFrame(socket, Buffer.from('tw'), Buffer.from('o'));
  server.send('three');
  expect(server.bufferedAmount).toBeGreaterThan(0);
  socket.uncork();
  await all;
  expect(received).toEqual(['one', 'two', 'three']);
});
