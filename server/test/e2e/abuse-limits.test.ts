import { randomUUID } from 'node:crypto';
import { webSocketCloseCodes } from '@spool/shared';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket } from 'ws';
import { connect, watch } from '../helpers/clients.ts';
import { startTestServer } from '../helpers/server.ts';
import { testAuth, tokenFor } from '../helpers/tokens.ts';

async function twoUsers() {
  return Promise.all([tokenFor(`busy-${randomUUID()}`), tokenFor(`calm-${randomUUID()}`)]);
}

describe('abuse limits', () => {
  it('refuses a user past their requests per minute, and only that user', async () => {
    const server = await startTestServer({ auth: testAuth, abuse: { requestsPerMinute: 5 } });
    const [busy, calm] = await twoUsers();
    const flooder = connect(server.url, 'sse', { token: () => busy });
    for (let i = 0; i < 5; i++) await flooder.listConversations.query({});
    await expect(flooder.listConversations.query({})).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS', spoolCode: 'RATE_LIMITED' },
    });
    await expect(connect(server.url, 'ws', { token: () => calm }).listConversations.query({})).resolves.toBeDefined();
  });

  it('refuses a subscription past the per-connection limit while the others stream on', async () => {
    const server = await startTestServer({
      auth: testAuth,
      abuse: { subscriptionsPerConnection: 3 },
      demoTokens: 40,
      demoTokensPerSecond: 100,
    });
    const [busy] = await twoUsers();
    const client = connect(server.url, 'ws', { token: () => busy });
    const sent = await Promise.all([0, 1, 2].map((i) => client.sendMessage.mutate({ content: `stream ${i}` })));
    const watching = sent.map((s) => watch(client, { streamId: s.streamId }));
    await vi.waitFor(async () => {
      await expect(watch(client, { streamId: sent[0]?.streamId ?? '' })).rejects.toMatchObject({
        data: { code: 'TOO_MANY_REQUESTS', spoolCode: 'TOO_MANY_SUBSCRIPTIONS' },
      });
    });
    for (const events of await Promise.all(watching)) expect(events.at(-1)?.type).toBe('done');
  });

  it('closes a WebSocket past the per-user connection limit with 4429, and counts SSE streams too', async () => {
    const server = await startTestServer({ auth: testAuth, abuse: { connectionsPerUser: 2 } });
    const [busy, calm] = await twoUsers();
    const first = connect(server.url, 'ws', { token: () => busy });
    const second = connect(server.url, 'ws', { token: () => busy });
    await Promise.all([first.listConversations.query({}), second.listConversations.query({})]);
    const codes: (number | undefined)[] = [];
    const third = connect(server.url, 'ws', { token: () => busy, onClose: (code) => codes.push(code) });
    const refused = third.listConversations.query({}).catch((error: unknown) => error);
    await vi.waitFor(() => expect(codes).toContain(webSocketCloseCodes.tooManyConnections));
    expect(await refused).toBeInstanceOf(Error);

    // Both places taken by WebSockets: an SSE stream is one connection too many.
    const sse = connect(server.url, 'sse', { token: () => busy });
    const sent = await first.sendMessage.mutate({ content: 'one more' });
    await expect(watch(sse, { streamId: sent.streamId })).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS', spoolCode: 'TOO_MANY_CONNECTIONS' },
    });
    await expect(connect(server.url, 'ws', { token: () => calm }).listConversations.query({})).resolves.toBeDefined();
  });

  it('lets browsers in only from allowed origins, on HTTP and WebSocket alike', async () => {
    const server = await startTestServer({ abuse: { allowedOrigins: ['https://app.example'] } });
    const query = `${server.url}/listConversations?input=${encodeURIComponent('{}')}`;
    expect((await fetch(query, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await fetch(query, { headers: { origin: 'https://app.example' } })).status).toBe(200);
    expect((await fetch(query)).status).toBe(200); // not a browser: no Origin
    const subscription = `${server.url}/stream?input=${encodeURIComponent(JSON.stringify({ streamId: randomUUID() }))}`;
    expect((await fetch(subscription, { headers: { origin: 'https://evil.example' } })).status).toBe(403); // SSE

    const status = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(server.url.replace(/^http/, 'ws'), { headers: { origin } });
        onTestFinished(() => socket.terminate());
        socket.once('open', () => resolve(101));
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('error', reject);
      });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status('https://app.example')).toBe(101);
  });

  it('answers malformed JSON on the socket with a parse error, and the connection goes on serving', async () => {
    const server = await startTestServer();
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'));
    onTestFinished(() => socket.terminate());
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('{not json');
    await vi.waitFor(() =>
      expect(messages).toContainEqual(
        expect.objectContaining({
          error: expect.objectContaining({ data: expect.objectContaining({ code: 'PARSE_ERROR' }) }),
        }),
      ),
    );
    socket.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'listConversations', input: {} } }));
    await vi.waitFor(() =>
      expect(messages).toContainEqual(expect.objectContaining({ id: 1, result: expect.anything() })),
    );
  });

  it('closes a WebSocket that stops answering pings, and frees the user’s place', async () => {
    const server = await startTestServer({ wsPingMs: 200, abuse: { connectionsPerUser: 1 } });
    const stalled = new WebSocket(server.url.replace(/^http/, 'ws'));
    onTestFinished(() => stalled.terminate());
    await new Promise((resolve) => stalled.once('open', resolve));
    const { connections } = server.services;
    await vi.waitFor(() => expect(connections.openFor('local')).toBe(1));
    stalled.pause(); // reads nothing, so never answers a ping: a stalled client holding the one place
    // The server drops it after a ping and the pong wait, and the place is free for a new connection.
    await vi.waitFor(() => expect(connections.openFor('local')).toBe(0), { timeout: 5_000 });
    await expect(connect(server.url, 'ws').listConversations.query({})).resolves.toBeDefined();
  });
});
