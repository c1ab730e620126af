import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';

const pollMs = 5;

/**
 * tRPC's WebSocket adapter sends every value a subscription yields at once, so a client that reads
 * slowly would pile them up in the socket's send buffer. This returns a check the subscription awaits
 * before each value: nothing while the buffer is under `maxBufferedBytes`, else a promise that settles
 * once it has drained to half (or the socket closed). The subscription then stops pulling, its live
 * buffer overflows, and it catches up from the log later: server memory stays bounded.
 */
export function socketBackpressure(ws: WebSocket, maxBufferedBytes: number): () => Promise<void> | undefined {
  const drained = async () => {
    while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > maxBufferedBytes / 2) await sleep(pollMs);
  };
  return () => (ws.bufferedAmount > maxBufferedBytes ? drained() : undefined);
}
