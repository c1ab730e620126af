import { describe, expect, it } from 'vitest';
import { range } from '../../server/test/helpers/clients.ts';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { strictAuth, tokenFor } from '../../server/test/helpers/tokens.ts';
import { collect, indexes, reading, spoolClient } from './helpers/sdk.ts';

describe('a token that expires mid-answer (WebSocket closed with 4401)', () => {
  const server = () => startTestServer({ auth: strictAuth, demoTokens: 100, demoTokensPerSecond: 40 });

  it('with getToken: the stream reconnects with a fresh token and goes on, every event once', async () => {
    const spool = spoolClient({ url: (await server()).url, transport: 'ws', getToken: () => current });
    // Valid for 2 s: the server closes the socket in the middle of the 2.5 s answer.
    let current = await tokenFor('ada', { expiresIn: 2 });
    const { streamId } = await spool.sendMessage({ content: 'a long answer' });
    current = await tokenFor('ada');

    const events = await collect(spool.stream(streamId));
    expect(events.map((event) => event.index)).toEqual(range(0, 101));
  });

  it('with a fixed token: the stream ends with UNAUTHENTICATED instead of retrying a token that cannot work', async () => {
    const token = await tokenFor('ada', { expiresIn: 2 });
    const spool = spoolClient({ url: (await server()).url, transport: 'ws', token });
    const { streamId } = await spool.sendMessage({ content: 'a long answer' });
    const { seen, done } = reading(spool.stream(streamId));
    await expect(done).rejects.toMatchObject({ name: 'SpoolError', code: 'UNAUTHENTICATED', retryable: false });
    expect(indexes(seen)).toEqual(range(0, seen.length - 1));
    expect(seen.length).toBeGreaterThan(10);
  });
});

describe.each(['ws', 'sse'] as const)('a token refused when a stream connects (%s)', (transport) => {
  it('with getToken: the stream asks for a fresh token once, on a new connection, and reads the answer', async () => {
    const server = await startTestServer({ auth: strictAuth, demoTokens: 5 });
    const writer = spoolClient({ url: server.url, transport, token: await tokenFor('ada') });
    const { streamId } = await writer.sendMessage({ content: 'an answer' });
    const fresh = await tokenFor('ada');
    let asked = 0;
    const reader = spoolClient({
      url: server.url,
      transport,
      getToken: () => (++asked === 1 ? 'an-expired-token' : fresh),
    });
    const events = await collect(reader.stream(streamId));
    expect(events.at(-1)?.type).toBe('done');
    expect(asked).toBe(2);
  });
});
