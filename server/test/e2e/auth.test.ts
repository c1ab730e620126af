import { randomUUID } from 'node:crypto';
import { webSocketCloseCodes } from '@spool/shared';
import { describe, expect, it, vi } from 'vitest';
import { connect, range, type Transport, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';
import { strictAuth, testAuth, tokenFor, unsignedToken } from '../helpers/tokens.ts';

const badTokens: [string, () => Promise<string>][] = [
  ['missing', async () => ''],
  ['malformed', async () => 'not.a.jwt'],
  ['expired', () => tokenFor('ada', { expiresIn: -60 })],
  ['not yet valid', () => tokenFor('ada', { notBefore: 60 })],
  ['signed with another key', () => tokenFor('ada', { secret: 'another-secret-of-at-least-32-characters' })],
  ['unsigned (alg: none)', async () => unsignedToken('ada')],
  ['from another issuer', () => tokenFor('ada', { issuer: 'someone-else' })],
  ['for another audience', () => tokenFor('ada', { audience: 'another-service' })],
  ['without an expiry', () => tokenFor('ada', { without: 'exp' })],
  ['without a subject', () => tokenFor('ada', { without: 'sub' })],
];

describe('a request without a valid token', () => {
  it.each(badTokens)('is refused over HTTP and SSE when the token is %s', async (_name, make) => {
    const server = await startTestServer({ auth: testAuth });
    const token = await make();
    const client = connect(server.url, 'sse', { token: () => token });
    const unauthorized = { data: { code: 'UNAUTHORIZED', spoolCode: 'UNAUTHENTICATED' } };
    await expect(client.listConversations.query({})).rejects.toMatchObject(unauthorized);
    await expect(client.sendMessage.mutate({ content: 'let me in' })).rejects.toMatchObject(unauthorized);
    await expect(watch(client, { streamId: randomUUID() })).rejects.toMatchObject(unauthorized);
    expect(server.services.generations.size).toBe(0);
  });

  it.each(badTokens)(
    'answers a vanilla WebSocket client UNAUTHORIZED on each request, then closes with 4401, when the token is %s',
    async (_name, make) => {
      const server = await startTestServer({ auth: testAuth });
      const token = await make();
      const codes: (number | undefined)[] = [];
      const client = connect(server.url, 'ws', { token: () => token, onClose: (code) => codes.push(code) });
      const unauthorized = { data: { code: 'UNAUTHORIZED', spoolCode: 'UNAUTHENTICATED' } };
      const started = performance.now();
      // tRPC's own wsLink hears why on its requests, so it neither hangs nor reconnects forever.
      await expect(client.sendMessage.mutate({ content: 'let me in' })).rejects.toMatchObject(unauthorized);
      await expect(watch(client, { streamId: randomUUID() })).rejects.toMatchObject(unauthorized);
      expect(performance.now() - started).toBeLessThan(1_000);
      await vi.waitFor(() => expect(codes).toContain(webSocketCloseCodes.unauthenticated), { timeout: 3_000 });
      expect(server.services.generations.size).toBe(0);
    },
  );
});

describe.each<Transport>(['ws', 'sse'])('another user (%s)', (transport) => {
  it('cannot see, resume, cancel or write into what is not theirs: NOT_FOUND, as if it did not exist', async () => {
    const server = await startTestServer({ auth: testAuth, redisPrefix: uniquePrefix(), demoTokensPerSecond: 50 });
    // Users of their own: this file's tests share one database.
    const [adaToken, bobToken] = await Promise.all([tokenFor(`ada-${randomUUID()}`), tokenFor(`bob-${randomUUID()}`)]);
    const ada = connect(server.url, transport, { token: () => adaToken });
    const bob = connect(server.url, transport, { token: () => bobToken });
    const sent = await ada.sendMessage.mutate({ content: 'private' });

    const noStream = { data: { code: 'NOT_FOUND', spoolCode: 'STREAM_NOT_FOUND' } };
    const noConversation = { data: { code: 'NOT_FOUND', spoolCode: 'CONVERSATION_NOT_FOUND' } };
    await expect(watch(bob, { streamId: sent.streamId })).rejects.toMatchObject(noStream);
    await expect(bob.cancelStream.mutate({ streamId: sent.streamId })).rejects.toMatchObject(noStream);
    await expect(bob.listMessages.query({ conversationId: sent.conversationId })).rejects.toMatchObject(noConversation);
    await expect(
      bob.sendMessage.mutate({ content: 'hijack', conversationId: sent.conversationId }),
    ).rejects.toMatchObject(noConversation);
    expect((await bob.listConversations.query({})).items).toEqual([]);

    const events = await watch(ada, { streamId: sent.streamId });
    expect(events.at(-1)?.type).toBe('done');
    expect((await ada.listConversations.query({})).items.map((c) => c.id)).toEqual([sent.conversationId]);
    // Still NOT_FOUND once the answer is only in the database.
    await expect(watch(bob, { streamId: sent.streamId })).rejects.toMatchObject(noStream);
  });
});

describe('a WebSocket whose token expires', () => {
  it('is closed with 4401, comes back with a fresh token and resumes without a gap or a repeat', async () => {
    const server = await startTestServer({
      auth: strictAuth,
      demoTokens: 100,
      demoTokensPerSecond: 40,
    });
    // Valid for 2 s (no clock tolerance here): the server closes the socket mid-answer.
    let current = await tokenFor('ada', { expiresIn: 2 });
    const codes: (number | undefined)[] = [];
    const client = connect(server.url, 'ws', { token: () => current, onClose: (code) => codes.push(code) });
    const sent = await client.sendMessage.mutate({ content: 'a long answer' });
    current = await tokenFor('ada');
    const events = await watch(client, { streamId: sent.streamId });
    expect(codes).toContain(webSocketCloseCodes.unauthenticated);
    expect(events.map((event) => event.index)).toEqual(range(0, 101));
  });
});
