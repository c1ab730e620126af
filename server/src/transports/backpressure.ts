import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';

const pollMs = 5;

/**
 * A check a writer runs before writing: nothing while the connection buffers at most `maxBufferedBytes`,
 * else a promise that settles once it has drained to half (or closed). Polled rather than waiting for
 * 'drain', which a socket emits only after a write it refused, and the bound here is usually lower.
 * Whoever waits stops pulling events meanwhile and catches up from the log later: memory stays bounded.
 */
export function backpressure(
  buffered: () => number,
  open: () => boolean,
  maxBufferedBytes: number,
): () => Promise<void> | undefined {
  // At least one poll, even when the connection is closing: a writer that loops on this check must
  // give the event loop its turn, or the 'close' that ends it never comes.
  const drained = async () => {
    do await sleep(pollMs);
    while (open() && buffered() > maxBufferedBytes / 2);
  };
  return () => (buffered() > maxBufferedBytes ? drained() : undefined);
}

/** `backpressure` for a WebSocket: `ws` sends at once, so a client that reads slowly fills its send buffer. */
export function socketBackpressure(ws: WebSocket, maxBufferedBytes: number): () => Promise<void> | undefined {
  return backpressure(
    () => ws.bufferedAmount,
    () => ws.readyState === WebSocket.OPEN,
    maxBufferedBytes,
  );
}
