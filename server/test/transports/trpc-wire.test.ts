import { tracked } from '@trpc/server';
import { sseStreamProducer } from '@trpc/server/unstable-core-do-not-import';
import { describe, expect, it } from 'vitest';
import { EncodedEvent } from '../../src/delivery/encoded-event.ts';
import { sseData, ssePing, sseReturn, wsData, wsFrameHead, wsStarted } from '../../src/transports/trpc-wire.ts';

const events = [
  new EncodedEvent({ type: 'token', index: 4, text: 'naïve "quoted"\n' }),
  new EncodedEvent({ type: 'done', index: 5, finishReason: 'stop', usage: null }),
];

/** What tRPC's own SSE producer writes for these events, with a ping in between. */
async function producedByTrpc(): Promise<string> {
  async function* data() {
    const [first, last] = events;
    if (!first || !last) throw new Error('two events expected');
    yield tracked(String(first.event.index), first.event);
    await new Promise((resolve) => setTimeout(resolve, 30));
    yield tracked(String(last.event.index), last.event);
  }
  const stream = sseStreamProducer({ data: data(), ping: { enabled: true, intervalMs: 10 }, client: {} });
  let text = '';
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) text += new TextDecoder().decode(chunk);
  return text;
}

describe("the fast path's frames", () => {
  it('are byte for byte the SSE frames tRPC produces: data with its id, ping, return', async () => {
    const chunks = (await producedByTrpc()).split(/(?<=\n\n\n)/);
    expect(chunks[0]).toBe('event: connected\ndata: {}\n\n\n');
    const withoutPings = chunks.filter((chunk) => chunk !== ssePing);
    expect(chunks.length - withoutPings.length).toBeGreaterThan(0);
    expect(withoutPings.slice(1)).toEqual([...events.map((event) => sseData(event).toString()), sseReturn]);
  });

  it('are the WebSocket frames tRPC builds from { id, result }', () => {
    const [event] = events;
    if (!event) throw new Error('an event expected');
    const head = wsFrameHead(7, undefined);
    const tracked = { id: '4', data: event.event };
    expect(JSON.parse(head + wsData(event).toString())).toEqual({
      id: 7,
      result: { type: 'data', data: tracked, id: '4' },
    });
    expect(head + wsData(event).toString()).toBe(
      JSON.stringify({ id: 7, jsonrpc: undefined, result: { type: 'data', data: tracked, id: '4' } }),
    );
    expect(wsFrameHead('x', '2.0') + wsStarted).toBe(
      JSON.stringify({ id: 'x', jsonrpc: '2.0', result: { type: 'started' } }),
    );
  });

  it('are built once per event: every watcher gets the same bytes', () => {
    const [event] = events;
    if (!event) throw new Error('an event expected');
    expect(sseData(event)).toBe(sseData(event));
    expect(wsData(event)).toBe(wsData(event));
  });
});
