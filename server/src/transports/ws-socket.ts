import type net from 'node:net';
import type { WebSocket } from 'ws';

/**
 * The TCP socket under a `ws` WebSocket, to cork it: `ws` keeps it in the private `_socket` (ws #1999
 * is the maintainer's advice to cork it this way). `ws-socket.test.ts` fails if that changes.
 */
export function tcpSocketOf(ws: WebSocket): net.Socket {
  const socket = (ws as unknown as { _socket?: net.Socket })._socket;
  if (!socket) throw new Error('ws no longer keeps its socket in _socket: see ws-socket.ts');
  return socket;
}
