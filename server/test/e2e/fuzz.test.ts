import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

/** A typed error, as tRPC's clients read it: a tRPC code and Spool's code in `data`. */
const typedError = { data: { code: expect.any(String), spoolCode: expect.any(String) } };
const huge = 'x'.repeat(300_000);
const uuid = randomUUID();
const enc = (value: unknown) => encodeURIComponent(JSON.stringify(value));

/** Bodies for `POST /trpc/sendMessage` (or the path given). */
const httpPosts: [string, string, string?][] = [
  ['not JSON', '{"content": '],
  ['JSON null', 'null'],
  ['a number', '42'],
  ['an array', '[1,2,3]'],
  ['content a number', '{"content":42}'],
  ['content an object', '{"content":{"a":1}}'],
  ['content empty', '{"content":""}'],
  ['content oversized', JSON.stringify({ content: 'y'.repeat(40_000) })],
  ['content only under __proto__', '{"__proto__":{"content":"hi"}}'],
  ['a constructor key', '{"constructor":{"prototype":{"x":1}},"content":5}'],
  ['a conversation id not a uuid', '{"content":"hi","conversationId":"../../etc"}'],
  ['a model of the wrong type', '{"content":"hi","model":["gpt"]}'],
  ['a clientMessageId with NUL', '{"content":"hi","clientMessageId":"a\\u0000b"}'],
  ['an unknown procedure', '{}', 'nope.nothing'],
  ['a query called as a mutation', '{}', 'listConversations'],
  ['cancel without a stream', '{}', 'cancelStream'],
  ['cancel with NaN', '{"streamId":NaN}', 'cancelStream'],
  ['a bad batch', '{"0":{"content":"hi"},"1":"oops"}', 'sendMessage,nope?batch=1'],
];

/** Query strings for `GET /trpc/<path>`. */
const httpGets: [string, string][] = [
  ['listConversations with a negative limit', `listConversations?input=${enc({ limit: -5 })}`],
  ['listConversations with limit NaN', 'listConversations?input={"limit":NaN}'],
  [
    'listConversations with a cursor not a uuid',
    `listConversations?input=${enc({ cursor: "'; drop table message; --" })}`,
  ],
  ['listMessages with no conversation', `listMessages?input=${enc({})}`],
  ['listMessages with __proto__', `listMessages?input=${enc({ __proto__: { conversationId: uuid } })}`],
  ['a mutation called with GET', `sendMessage?input=${enc({ content: 'hi' })}`],
  ['input not JSON', 'listConversations?input=%7B'],
  ['a bad batch', `listConversations,listMessages?batch=1&input=${enc({ 0: {}, 1: 7 })}`],
  ['a path of dots', '....?input=1'],
];

/** `GET /trpc/stream?input=...` as an EventSource would. */
const sseInputs: [string, string][] = [
  ['no input', ''],
  ['input not JSON', 'input=%7B%7B'],
  ['a stream id not a uuid', `input=${enc({ streamId: 'x' })}`],
  ['a negative fromIndex', `input=${enc({ streamId: uuid, fromIndex: -1 })}`],
  ['fromIndex NaN', `input={"streamId":"${uuid}","fromIndex":NaN}`],
  ['a huge fromIndex', `input=${enc({ streamId: uuid, fromIndex: 1e300 })}`],
  ['lastEventId not a number', `input=${enc({ streamId: uuid, lastEventId: 'abc' })}`],
  ['an unknown stream', `input=${enc({ streamId: uuid })}`],
];

/** WebSocket frames; each with an id gets an answer of its own. */
const wsFrames: [string, string | Buffer][] = [
  ['not JSON', '{"id":1,'],
  ['a binary frame', Buffer.from([0xff, 0x00, 0x13, 0x37])],
  ['an unknown method', '{"id":2,"method":"explode","params":{}}'],
  ['an unknown procedure', '{"id":3,"method":"query","params":{"path":"nope","input":{}}}'],
  ['a stream id not a uuid', '{"id":4,"method":"subscription","params":{"path":"stream","input":{"streamId":"x"}}}'],
  [
    'fromIndex negative',
    `{"id":5,"method":"subscription","params":{"path":"stream","input":{"streamId":"${uuid}","fromIndex":-3}}}`,
  ],
  ['params missing', '{"id":6,"method":"query"}'],
  ['an id of the wrong type', '{"id":{"a":1},"method":"query","params":{"path":"listConversations","input":{}}}'],
  [
    'a huge string',
    JSON.stringify({
      id: 7,
      method: 'mutation',
      params: { path: 'sendMessage', input: { content: huge.slice(0, 200_000) } },
    }),
  ],
  ['an empty batch', '[]'],
  ['a batch of garbage', '[1,"two",null]'],
  [
    'a __proto__ input',
    '{"id":8,"method":"mutation","params":{"path":"sendMessage","input":{"__proto__":{"content":"hi"}}}}',
  ],
];

describe('malformed input, over HTTP, SSE and WebSocket', () => {
  it(`gets a typed error for each of ${httpPosts.length + httpGets.length + sseInputs.length + wsFrames.length + 1} inputs, and the server goes on serving`, async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), demoTokens: 3 });
    const base = server.url;

    for (const [name, body, path = 'sendMessage'] of httpPosts) {
      const response = await fetch(`${base}/${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      expectRefused(name, response.status, await response.json());
    }
    for (const [name, query] of httpGets) {
      const response = await fetch(`${base}/${query}`);
      expectRefused(name, response.status, await response.json());
    }
    for (const [name, query] of sseInputs) {
      const response = await fetch(`${base}/stream?${query}`, { headers: { accept: 'text/event-stream' } });
      const text = await response.text();
      const errorLine = /event: serialized-error\ndata: (.*)\n/.exec(text)?.[1];
      const json = errorLine ? JSON.parse(errorLine) : JSON.parse(text).error;
      expect.soft(json, name).toMatchObject(typedError);
    }

    const socket = new WebSocket(base.replace(/^http/, 'ws'));
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    for (const [, frame] of wsFrames) socket.send(frame);
    // A subscription id used twice: the second is refused while the first is live.
    const live = `{"id":9,"method":"subscription","params":{"path":"stream","input":{"streamId":"${uuid}"}}}`;
    socket.send(live);
    socket.send(live);
    await expectSoon(() => messages.filter(isError).length >= wsFrames.length - 2);
    for (const message of messages.filter(isError))
      expect.soft((message as { error: unknown }).error).toMatchObject(typedError);
    expect(socket.readyState).toBe(WebSocket.OPEN);

    // And it goes on: a good request over the same socket, and over HTTP.
    socket.send('{"id":10,"method":"query","params":{"path":"listConversations","input":{}}}');
    await expectSoon(() => messages.some((message) => (message as { id?: unknown }).id === 10 && !isError(message)));
    socket.close();
    const sent = await fetch(`${base}/sendMessage`, {
      method: 'POST',
      body: '{"content":"still here?"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(sent.status).toBe(200);
    expect((await fetch(base.replace(/\/trpc$/, '/healthz'))).status).toBe(200);
  });
});

/** A 4xx with a typed error; a batch (207) with a typed error for its bad part. */
function expectRefused(name: string, status: number, json: unknown): void {
  expect.soft(status === 207 || (status >= 400 && status < 500), `${name}: status ${status}`).toBe(true);
  const errors = [json].flat().filter(isError);
  expect.soft(errors.length, `${name}: errors`).toBeGreaterThan(0);
  for (const each of errors) expect.soft((each as { error: unknown }).error, name).toMatchObject(typedError);
}

function isError(message: unknown): boolean {
  return typeof message === 'object' && message !== null && 'error' in message;
}

async function expectSoon(condition: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: 5_000 });
}
