import type net from 'node:net';
import type { WebSocket } from 'ws';

/**
 * What the fast path does under `ws`: it writes its data frames itself, straight to the TCP socket,
 * so that the bytes every watcher of an event shares are encoded once and handed to each socket as
 * they are (ws would re-encode the whole text per socket). Safe beside `ws`'s own sends: without
 * permessage-deflate, `ws` writes each frame synchronously too, so frames never interleave, and its
 * `bufferedAmount` counts what is written here. `ws-frames.test.ts` fails if any of that changes.
 */

/** The TCP socket under a `ws` WebSocket, kept in the private `_socket` (ws #1999 corks it the same way). */
export function tcpSocketOf(ws: WebSocket): net.Socket {
  const socket = (ws as unknown as { _socket?: net.Socket })._socket;
  if (!socket) throw new Error('ws no longer keeps its socket in _socket: see ws-frames.ts');
  return socket;
}

/** Writes one final, unmasked text frame (RFC 6455 §5.2, server to client) whose payload is `head` then `tail`. */
export function writeTextFrame(socket: net.Socket, head: Buffer, tail: Buffer): void {
  const length = head.length + tail.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const prefix = Buffer.allocUnsafe(headerLength + head.length);
  prefix[0] = 0x81; // FIN + text
  if (length < 126) {
    prefix[1] = length;
  } else if (length < 65_536) {
    prefix[1] = 126;
    prefix.writeUInt16BE(length, 2);
  } else {
    prefix[1] = 127;
    prefix.writeBigUInt64BE(BigInt(length), 2);
  }
  head.copy(prefix, headerLength);
  socket.write(prefix);
  socket.write(tail);
}
