import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { keyValueKey, streamKeys, userLeaseKey } from '../../src/store/redis-keys.ts';
import { connect, watch } from '../helpers/clients.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { observeRedis, uniquePrefix } from '../helpers/redis.ts';
import { startTestServer, startTwoServers } from '../helpers/server.ts';
import { testAuth, tokenFor } from '../helpers/tokens.ts';

async function openDatabaseClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: await testDatabaseUrl() });
  await client.connect();
  onTestFinished(() => client.end());
  return client;
}

describe('a burst of answer starts', () => {
  it('all start, over two instances and both transports; each is saved when sendMessage returns, and saved once when it ends', async () => {
    const { a, b } = await startTwoServers({ demoTokens: 3, maxStreamsPerUser: 10_000 });
    const db = await openDatabaseClient();
    const clients = [connect(a.url, 'ws'), connect(b.url, 'sse'), connect(b.url, 'ws'), connect(a.url, 'sse')];
    const burst = 300;
    const sent = await Promise.all(
      Array.from({ length: burst }, async (_, i) => {
        const client = clients[i % clients.length];
        if (!client) throw new Error('no client');
        const ids = await client.sendMessage.mutate({ content: `burst ${i}`, clientMessageId: `burst-${i}` });
        // Durable the moment it returns: both messages are there to read, from another connection.
        const saved = await db.query('SELECT id FROM message WHERE id = ANY($1::uuid[])', [
          [ids.userMessageId, ids.assistantMessageId],
        ]);
        expect(saved.rowCount).toBe(2);
        return { client, ids };
      }),
    );
    expect(new Set(sent.map(({ ids }) => ids.streamId)).size).toBe(burst);
    const ends = await Promise.all(sent.map(({ client, ids }) => watch(client, { streamId: ids.streamId })));
    for (const events of ends) expect(events.filter((event) => event.type === 'done')).toHaveLength(1);
    const answers = await db.query(
      "SELECT count(*)::int AS n FROM message WHERE id = ANY($1::uuid[]) AND status = 'complete' AND content <> ''",
      [sent.map(({ ids }) => ids.assistantMessageId)],
    );
    expect(answers.rows[0].n).toBe(burst);
  });

  it('past the answers that may start at once, waits its turn; one that cannot start within the deadline is refused as retryable, with nothing left behind', async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({
      redisPrefix: prefix,
      auth: testAuth,
      starts: { maxStarting: 2, startDeadlineMs: 300 },
    });
    const user = `queued-${randomUUID()}`;
    const token = await tokenFor(user);
    const client = connect(server.url, 'ws', { token: () => token });
    // The database holds every new message until the lock goes: the two admitted starts wait in it.
    const locker = await openDatabaseClient();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE message IN SHARE ROW EXCLUSIVE MODE');
    const attempts = ['first', 'second', 'third', 'fourth'].map((id) =>
      client.sendMessage.mutate({ content: id, clientMessageId: id }),
    );
    const refused = await Promise.allSettled(attempts.slice(2));
    for (const refusal of refused) {
      expect(refusal).toMatchObject({
        status: 'rejected',
        reason: { data: { code: 'SERVICE_UNAVAILABLE', spoolCode: 'SERVER_BUSY' } },
      });
    }
    const redis = await observeRedis(prefix);
    // The refused ones took no claim, no lease and no stream.
    expect(await redis.redis.keys(keyValueKey(prefix, 'client-message:*'))).toHaveLength(2);
    expect(await redis.redis.zcard(userLeaseKey(prefix, user))).toBe(2);
    expect(await redis.redis.keys(streamKeys(prefix, '*').meta)).toHaveLength(2);

    await locker.query('COMMIT');
    const admitted = await Promise.all(attempts.slice(0, 2));
    for (const ids of admitted) expect((await watch(client, { streamId: ids.streamId })).at(-1)?.type).toBe('done');
    // Tried again, they start.
    const retried = await client.sendMessage.mutate({ content: 'third', clientMessageId: 'third' });
    expect((await watch(client, { streamId: retried.streamId })).at(-1)?.type).toBe('done');
    const conversations = await client.listConversations.query({});
    expect(conversations.items.map((conversation) => conversation.title).toSorted()).toEqual([
      'first',
      'second',
      'third',
    ]);
  });

  it('past the user’s requests per minute, refuses the extra starts and leaves nothing of them behind', async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({ redisPrefix: prefix, abuse: { requestsPerMinute: 3 } });
    const client = connect(server.url, 'sse');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => client.sendMessage.mutate({ content: `q${i}`, clientMessageId: `q${i}` })),
    );
    const started = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(started).toHaveLength(3);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ data: { spoolCode: 'RATE_LIMITED' } });
    }
    const redis = await observeRedis(prefix);
    expect(await redis.redis.keys(keyValueKey(prefix, 'client-message:*'))).toHaveLength(3);
    expect(await redis.redis.keys(streamKeys(prefix, '*').meta)).toHaveLength(3);
  });
});
