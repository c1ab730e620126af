import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { tcpSocketOf } from '../../src/transports/ws-socket.ts';

it("reaches the TCP socket under a ws WebSocket, which the fast path corks (ws's private _socket)", async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  await new Promise((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  onTestFinished(() => client.terminate());
  const server = await accepted;

  const socket = tcpSocketOf(server);
  expect(socket).toBeInstanceOf(net.Socket);
  const received: string[] = [];
  client.on('message', (data) => received.push(data.toString()));
  socket.cork();
  server.send('one');
  server.send('two');
  expect(socket.writableLength).toBeGreaterThan(0);
  socket.uncork();
  await new Promise<void>((resolve) => client.on('message', () => received.length === 2 && resolve()));
  expect(received).toEqual(['one', 'two']);
});
