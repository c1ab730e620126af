import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { testAuth, tokenFor } from '../helpers/tokens.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GETs `path` over `agent` (one keep-alive connection), with the token. */
function get(agent: http.Agent, url: URL, path: string, token: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, url), { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        // An SSE stream stays open: its first event is answer enough.
        if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('the request budget of an HTTP connection', () => {
  it('answers requests past it with a typed 429 and a retry hint, closes the connection, and serves the next one', async () => {
    const budget = { framesPerSecond: 10, bytesPerSecond: 1 << 20 };
    const server = await startTestServer({ auth: testAuth, abuse: { httpRequestBudget: budget } });
    const token = await tokenFor('mallory');
    const url = new URL(server.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    onTestFinished(() => agent.destroy());
    const sockets = new Set<unknown>();
    agent.on('free', (socket) => sockets.add(socket));

    const list = '/trpc/listConversations?input=%7B%7D';
    for (let i = 0; i < budget.framesPerSecond; i++) expect((await get(agent, url, list, token)).status).toBe(200);
    expect(sockets.size).toBe(1); // all on one connection

    const refused = await get(agent, url, list, token);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, spoolCode: 'RATE_LIMITED' } },
    });

    // The connection is gone; on a new one the budget starts afresh, and an SSE stream counts as a request.
    const stream = `/trpc/stream?input=${encodeURIComponent(JSON.stringify({ streamId: crypto.randomUUID() }))}`;
    for (let i = 0; i < budget.framesPerSecond; i++) expect((await get(agent, url, list, token)).status).toBe(200);
    expect(sockets.size).toBe(2);
    expect((await get(agent, url, stream, token)).status).toBe(429);
    const sse = await get(agent, url, stream, token);
    expect(sse.status).toBe(200);
    expect(sse.body).toContain('event: connected');
  });

  it('answers a batch past it with one error per call, as tRPC answers a batch', async () => {
    const server = await startTestServer({
      auth: testAuth,
      abuse: { httpRequestBudget: { framesPerSecond: 1, bytesPerSecond: 1 << 20 } },
    });
    const token = await tokenFor('mallory');
    const url = new URL(server.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    onTestFinished(() => agent.destroy());
    const batch = `/trpc/listConversations,listConversations?batch=1&input=${encodeURIComponent('{"0":{},"1":{}}')}`;
    expect((await get(agent, url, batch, token)).status).toBe(200);
    const refused = await get(agent, url, batch, token);
    expect(refused.status).toBe(429);
    const errors = JSON.parse(refused.body) as unknown[];
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatchObject({ error: { data: { spoolCode: 'RATE_LIMITED' } } });
  });
});
