/**
 * The bytes tRPC v11 (11.25) puts on the wire for a subscription, rebuilt for Spool's fast path, and
 * the few tRPC internals that path needs, all in this one file (`trpc-wire.test.ts` compares every frame
 * with what tRPC's own adapters send, so an upstream change fails a test instead of a client).
 *
 * WebSocket (`@trpc/server/adapters/ws`, `respond()`: `JSON.stringify({ id, jsonrpc, result })`):
 * - started: `{"id":1,"result":{"type":"started"}}`
 * - data of a `tracked(id, data)` value: `{"id":1,"result":{"type":"data","data":{"id":"5","data":{...}},"id":"5"}}`
 * - stopped: `{"id":1,"result":{"type":"stopped"}}`; error: `{"id":1,"error":<error shape>}`
 *   (`"jsonrpc":"2.0"` follows the id when the request carried it).
 * SSE (`unstable-core-do-not-import/stream/sse.ts`, `sseStreamProducer`: each chunk's `event:`, `data:`,
 * `id:` lines, then "\n\n"):
 * - `event: connected\ndata: {"reconnectAfterInactivityMs":25000}\n\n\n` first;
 * - a tracked value: `data: {...}\nid: 5\n\n\n`; a ping: `event: ping\ndata: \n\n\n`;
 * - the end: `event: return\ndata: \n\n\n`; an error: `event: serialized-error\ndata: <error shape>\n\n\n`.
 */
import type { IncomingMessage } from 'node:http';
import type { AnyRouter, TRPCError } from '@trpc/server';
import {
  getErrorShape,
  getLastEventId,
  parseConnectionParamsFromString,
  parseTRPCMessage,
  sseHeaders,
  type TRPCClientOutgoingMessage,
} from '@trpc/server/unstable-core-do-not-import';
import type { EncodedEvent } from '../delivery/encoded-event.ts';

export type RequestId = number | string;

/**
 * The fast path writes values as JSON, as tRPC does without a transformer. Spool's router has none;
 * a router with one (superjson, say) must not be served by it.
 */
export function assertNoTransformer(router: AnyRouter): void {
  const probe = { probe: 1 };
  if (router._def._config.transformer.output.serialize(probe) !== probe) {
    throw new Error("Spool's fast path serves routers without a data transformer; this one has one");
  }
}

/**
 * The requests of a WebSocket frame as tRPC's adapter parses them (`parseTRPCMessage`), or null when
 * tRPC would refuse the frame: then the whole frame is tRPC's to answer, exactly as it would.
 */
export function wsRequestsOf(router: AnyRouter, parsed: unknown): TRPCClientOutgoingMessage[] | null {
  const raws = Array.isArray(parsed) ? parsed : [parsed];
  try {
    return raws.map((raw) => parseTRPCMessage(raw, router._def._config.transformer));
  } catch {
    return null; // tRPC answers it with its own PARSE_ERROR
  }
}

/** The error shape tRPC would send for `error` thrown by the `stream` subscription: the router's own formatter. */
export function streamErrorShape(router: AnyRouter, error: TRPCError, ctx: unknown, input: unknown): unknown {
  return getErrorShape({ config: router._def._config, error, type: 'subscription', path: 'stream', input, ctx });
}

/** The error shape of a refusal that is no procedure's (a connection refused, a request turned away): the router's own formatter. */
export function refusalErrorShape(router: AnyRouter, error: TRPCError): unknown {
  return getErrorShape({
    config: router._def._config,
    error,
    type: 'unknown',
    path: undefined,
    input: undefined,
    ctx: undefined,
  });
}

/** tRPC's message for a WebSocket connection it refused (`{ id: null, error }`), as its adapter sends when `createContext` fails. */
export function wsConnectionError(router: AnyRouter, error: TRPCError): string {
  return JSON.stringify({ id: null, error: refusalErrorShape(router, error) });
}

/** What precedes `"result"` or `"error"` in every frame of one WebSocket subscription. */
export function wsFrameHead(id: RequestId, jsonrpc: '2.0' | undefined): string {
  return `{"id":${JSON.stringify(id)}${jsonrpc ? ',"jsonrpc":"2.0"' : ''},`;
}

export const wsStarted = '"result":{"type":"started"}}';
export const wsStopped = '"result":{"type":"stopped"}}';

export function wsError(shape: unknown): string {
  return `"error":${JSON.stringify(shape)}}`;
}

/** The part of a data frame after the head: the same bytes for every WebSocket watcher of the event. */
export function wsData(encoded: EncodedEvent): Buffer {
  const id = encoded.event.index;
  encoded.wsData ??= Buffer.from(`"result":{"type":"data","data":{"id":"${id}","data":${encoded.json}},"id":"${id}"}}`);
  return encoded.wsData;
}

/** What tRPC's SSE response starts with (with its `sse` config's `client` options). */
export function sseConnected(router: AnyRouter): string {
  return `event: connected\ndata: ${JSON.stringify(router._def._config.sse?.client ?? {})}\n\n\n`;
}

export function sseData(encoded: EncodedEvent): Buffer {
  encoded.sseFrame ??= Buffer.from(`data: ${encoded.json}\nid: ${encoded.event.index}\n\n\n`);
  return encoded.sseFrame;
}

export const ssePing = 'event: ping\ndata: \n\n\n';
export const sseReturn = 'event: return\ndata: \n\n\n';

export function sseError(shape: unknown): string {
  return `event: serialized-error\ndata: ${JSON.stringify(shape)}\n\n\n`;
}

/** The headers of tRPC's SSE response: its `sseHeaders`, and the `vary` every tRPC HTTP response has. */
export const sseResponseHeaders = { vary: 'trpc-accept, accept', ...sseHeaders };

/** The router's SSE ping interval, as `initTRPC.create({ sse: { ping } })` set it; undefined: no pings. */
export function ssePingMs(router: AnyRouter): number | undefined {
  const ping = router._def._config.sse?.ping;
  return ping?.enabled ? (ping.intervalMs ?? 1_000) : undefined;
}

/** `connectionParams` from an SSE request's query, as tRPC parses them; throws tRPC's error when malformed. */
export function sseConnectionParams(url: URL): Record<string, string | undefined> | null {
  const raw = url.searchParams.get('connectionParams');
  return raw === null ? null : parseConnectionParamsFromString(raw);
}

/**
 * The resume id an SSE request carries: the `Last-Event-ID` header (EventSource's reconnect), or the
 * query; undefined when empty, as tRPC merges it only when it is not.
 */
export function sseLastEventId(req: IncomingMessage, url: URL): string | undefined {
  const headers = { get: (name: string) => [req.headers[name.toLowerCase()]].flat()[0] ?? null };
  return getLastEventId({ headers: headers as unknown as Headers, searchParams: url.searchParams }) || undefined;
}

/** The input tRPC hands the procedure: `lastEventId` (when there is one) merged into it, as both adapters do. */
export function withLastEventId(input: unknown, lastEventId: string | undefined): unknown {
  if (lastEventId === undefined) return input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return { ...input, lastEventId };
  return input ?? { lastEventId };
}
