/**
 * A minimal reader of tRPC's SSE subscription format for the benchmark: one HTTP connection per
 * stream, `data:` lines parsed as they arrive, nothing else. The tRPC client on the `eventsource`
 * polyfill cost this process more CPU than the server it measured (90% of a core and 0.7 s GC pauses
 * at 1,000 streams), so SSE latency measured the client. The tests use the real tRPC client.
 */
import http from 'node:http';
import type { WireEvent } from './recorder.ts';

export interface SseReaderHandlers {
  onEvent(event: WireEvent): void;
  onError(error: unknown): void;
}

/** Reads `url` until the server's `return` event; returns what closes it. */
export function readSse(url: string, handlers: SseReaderHandlers): () => void {
  const request = http.get(url, { agent: false }, (response) => {
    if (response.statusCode !== 200) {
      handlers.onError(new Error(`SSE request answered ${response.statusCode}`));
      response.resume();
      return;
    }
    response.setEncoding('utf8');
    let pending = '';
    response.on('data', (chunk: string) => {
      pending += chunk;
      let end = pending.indexOf('\n\n');
      while (end !== -1) {
        dispatch(pending.slice(0, end), handlers);
        pending = pending.slice(end + 2).replace(/^\n+/, '');
        end = pending.indexOf('\n\n');
      }
    });
    response.on('error', (error) => handlers.onError(error));
  });
  request.on('error', (error) => handlers.onError(error));
  return () => request.destroy();
}

/** One SSE event block: a tracked value (`data:` and `id:`) is recorded; named events (connected, ping, return) are not. */
function dispatch(block: string, handlers: SseReaderHandlers): void {
  if (block.startsWith('event: serialized-error')) {
    handlers.onError(new Error(block));
    return;
  }
  if (!block.startsWith('data: ')) return;
  const dataEnd = block.indexOf('\n');
  handlers.onEvent(JSON.parse(block.slice('data: '.length, dataEnd === -1 ? undefined : dataEnd)) as WireEvent);
}
