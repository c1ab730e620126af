import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connect, watch } from '../helpers/clients.ts';
import { sseResponse, sseUrl, startGenericTrpc, wsFrames } from '../helpers/raw-wire.ts';
import { startTestServer } from '../helpers/server.ts';

/**
 * Error shapes carry a stack in development (where the error was made, not the wire format), and a
 * rate limit says how many seconds are left, which moves between two requests.
 */
const withoutStacks = (text: string) =>
  text.replace(/,?"stack":"(?:[^"\\]|\\.)*"/g, '').replace(/try again after \d\d:\d\d:\d\d UTC/g, 'try again after T');
const framesOf = async (...args: Parameters<typeof wsFrames>) => (await wsFrames(...args)).map(withoutStacks);
const sseOf = async (...args: Parameters<typeof sseResponse>) => {
  const response = await sseResponse(...args);
  return { ...response, body: withoutStacks(response.body) };
};

/** Until the subscription with id 1 has stopped, or failed before it started. */
const stoppedOrRefused = (frames: string[]) =>
  frames.some((frame) => frame.includes('"stopped"')) ||
  (frames.length === 1 && frames[0]?.includes('"error"') === true);

/** A `stream` subscription request as `wsLink` sends it; `params` may add its `lastEventId`. */
const subscribe = (input: unknown, params: Record<string, unknown> = {}) => ({
  id: 1,
  method: 'subscription',
  params: { path: 'stream', input, ...params },
});

async function finishedAnswer() {
  const spool = await startTestServer({ demoTokens: 12 });
  const generic = await startGenericTrpc(spool);
  const client = connect(spool.url, 'ws');
  const { streamId } = await client.sendMessage.mutate({ content: 'golden bytes' });
  await watch(client, { streamId });
  return { spool, generic, streamId };
}

describe('the fast path puts the same bytes on the wire as tRPC itself', () => {
  it('WebSocket: started, tracked data, stopped, from 0, from fromIndex and from lastEventId, with jsonrpc too', async () => {
    const { spool, generic, streamId } = await finishedAnswer();
    const requests = [
      [subscribe({ streamId })],
      [subscribe({ streamId, fromIndex: 7 })],
      [subscribe({ streamId }, { lastEventId: '9' })],
      [{ ...subscribe({ streamId, fromIndex: 3 }), jsonrpc: '2.0' }],
      [{ ...subscribe({ streamId }), id: 'text-id' }],
    ];
    for (const sent of requests) {
      const ours = await framesOf(spool.url, sent, stoppedOrRefused);
      const theirs = await framesOf(generic, sent, stoppedOrRefused);
      expect(ours).toEqual(theirs);
      expect(ours[0]).toContain('"started"');
      expect(ours.length).toBeGreaterThan(3);
    }
  });

  it('WebSocket: errors after the start (unknown stream, index out of range)', async () => {
    const { spool, generic, streamId } = await finishedAnswer();
    for (const input of [{ streamId: randomUUID() }, { streamId, fromIndex: 500 }]) {
      const ours = await framesOf(spool.url, [subscribe(input)], stoppedOrRefused);
      expect(ours).toEqual(await framesOf(generic, [subscribe(input)], stoppedOrRefused));
      expect(ours.map((frame) => Object.keys(JSON.parse(frame)).at(-1))).toEqual(['result', 'error', 'result']);
    }
  });

  it('WebSocket: subscription.stop is answered with stopped, a duplicate id refused, PING answered with PONG', async () => {
    const spool = await startTestServer({ demoTokens: 10_000, demoTokensPerSecond: 20 });
    const generic = await startGenericTrpc(spool);
    const { streamId } = await connect(spool.url, 'ws').sendMessage.mutate({ content: 'a long answer' });
    const stopped = (frames: string[]) => frames.at(-1)?.includes('"stopped"') === true;
    const sent = [subscribe({ streamId }), { id: 1, method: 'subscription.stop' }];
    const ours = await framesOf(spool.url, sent, stopped);
    expect(ours.at(-1)).toBe((await framesOf(generic, sent, stopped)).at(-1));
    // A second subscription with the id of a live one (each frame is handled in a turn of its own,
    // so the first must still be running when the second comes).
    const twice = [subscribe({ streamId }), subscribe({ streamId })];
    const hasDuplicate = (frames: string[]) => frames.some((frame) => frame.includes('Duplicate id'));
    const duplicate = (frames: string[]) => frames.find((frame) => frame.includes('Duplicate'));
    expect(duplicate(await framesOf(spool.url, twice, hasDuplicate))).toBe(
      duplicate(await framesOf(generic, twice, hasDuplicate)),
    );
    const pong = (frames: string[]) => frames.includes('PONG');
    expect(await framesOf(spool.url, ['PING'], pong)).toContain('PONG');
  });

  it('SSE: connected, tracked data and return, from 0, fromIndex, the Last-Event-ID header and the query', async () => {
    const { spool, generic, streamId } = await finishedAnswer();
    const cases: Array<[unknown, Record<string, string>, string]> = [
      [{ streamId }, {}, ''],
      [{ streamId, fromIndex: 5 }, {}, ''],
      [{ streamId }, { 'last-event-id': '8' }, ''],
      [{ streamId }, {}, '&lastEventId=10'],
      [{ streamId }, {}, `&connectionParams=${encodeURIComponent('{}')}`],
    ];
    for (const [input, headers, extra] of cases) {
      const ours = await sseOf(sseUrl(spool.url, input, extra), headers);
      expect(ours).toEqual(await sseOf(sseUrl(generic, input, extra), headers));
      expect(ours.body).toMatch(/^event: connected\n/);
      expect(ours.body).toMatch(/event: return\ndata: \n\n\n$/);
    }
  });

  it('SSE: serialized errors (unknown stream, index out of range; bad input and connectionParams left to tRPC)', async () => {
    const { spool, generic, streamId } = await finishedAnswer();
    const malformed = `&connectionParams=${encodeURIComponent('{"token":null}')}`;
    const cases: Array<[unknown, string]> = [
      [{ streamId: randomUUID() }, ''],
      [{ streamId, fromIndex: 500 }, ''],
      [{ streamId: 'not-a-uuid' }, ''],
      [{ streamId }, malformed],
    ];
    for (const [input, extra] of cases) {
      const ours = await sseOf(sseUrl(spool.url, input, extra));
      expect(ours).toEqual(await sseOf(sseUrl(generic, input, extra)));
      expect(ours.body).toMatch(/serialized-error|"error"/);
    }
  });

  it('both: a request refused before it starts (rate limit) gets the same error', async () => {
    const spool = await startTestServer({ abuse: { requestsPerMinute: 0 } });
    const generic = await startGenericTrpc(spool);
    const input = { streamId: randomUUID() };
    const ours = await framesOf(spool.url, [subscribe(input)], stoppedOrRefused);
    expect(ours).toEqual(await framesOf(generic, [subscribe(input)], stoppedOrRefused));
    expect(ours[0]).toContain('RATE_LIMITED');
    const overSse = await sseOf(sseUrl(spool.url, input));
    expect(overSse).toEqual(await sseOf(sseUrl(generic, input)));
    expect(overSse.body).toContain('RATE_LIMITED');
  });
});
