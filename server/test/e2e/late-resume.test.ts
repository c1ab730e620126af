import { describe, expect, it } from 'vitest';
import { streamKeys } from '../../src/store/redis-keys.ts';
import { connect, lastSaved, type Transport, textOf, watch } from '../helpers/clients.ts';
import { observeRedis, uniquePrefix } from '../helpers/redis.ts';
import { seedAnswer } from '../helpers/seed-answer.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe.each<Transport>(['ws', 'sse'])('a resume after the log has expired (%s)', (transport) => {
  it('replays the saved answer with the same events and indexes, from 0 and from the middle', async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({ redisPrefix: prefix, demoTokens: 40 });
    const client = connect(server.url, transport);
    const sent = await client.sendMessage.mutate({ content: 'remember this' });
    const live = await watch(client, { streamId: sent.streamId });

    const redis = await observeRedis(prefix);
    const keys = streamKeys(prefix, sent.streamId);
    expect(await redis.redis.del(keys.log, keys.meta)).toBe(2);
    expect(await server.services.store.meta(sent.streamId)).toBeNull();

    expect(await watch(client, { streamId: sent.streamId })).toEqual(live);
    expect(await watch(client, { streamId: sent.streamId, fromIndex: 17 })).toEqual(live.slice(17));
    expect(await watch(client, { streamId: sent.streamId, lastEventId: String(live.length - 2) })).toEqual(
      live.slice(-1),
    );
    await expect(watch(client, { streamId: sent.streamId, fromIndex: live.length })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', spoolCode: 'INDEX_OUT_OF_RANGE' },
    });
    await expect(client.cancelStream.mutate({ streamId: sent.streamId })).rejects.toMatchObject({
      data: { code: 'CONFLICT', spoolCode: 'STREAM_ENDED' },
    });
  });
});

describe('the embedded mode after a restart', () => {
  it('keeps the history in its PGlite folder and replays answers from it', async () => {
    const dataDir = await tempDir('spool-pglite-');
    const embedded = { database: { url: undefined, dataDir, migrate: true }, demoTokens: 12 };

    const first = await startTestServer(embedded);
    const before = connect(first.url, 'ws');
    const sent = await before.sendMessage.mutate({ content: 'survive a restart' });
    const live = await watch(before, { streamId: sent.streamId });
    await first.close();

    const second = await startTestServer(embedded);
    expect(second.services.db.kind).toBe('pglite');
    const after = connect(second.url, 'sse');
    expect(await watch(after, { streamId: sent.streamId, fromIndex: 3 })).toEqual(live.slice(3));
    const { items } = await after.listMessages.query({ conversationId: sent.conversationId });
    expect(items.map((message) => [message.role, message.status])).toEqual([
      ['assistant', 'complete'],
      ['user', 'complete'],
    ]);
  });
});

describe('an answer whose log vanished mid-answer', () => {
  it('has its log put back by its generator and completes, the same events live and replayed', async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({ redisPrefix: prefix, demoTokens: 100, demoTokensPerSecond: 100 });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'lose me' });
    const shown = await watch(client, { streamId: sent.streamId }, { leaveAfterIndex: 2 });
    // As if Redis restarted without persistence mid-answer: the generator finds its log gone.
    const redis = await observeRedis(prefix);
    const keys = streamKeys(prefix, sent.streamId);
    await redis.redis.del(keys.log, keys.meta);

    const rest = await watch(client, { streamId: sent.streamId, fromIndex: shown.length });
    expect(rest[0]?.index).toBe(shown.length);
    expect(rest.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    const answer = await lastSaved(client, sent.conversationId);
    expect(answer).toMatchObject({ status: 'complete', content: textOf([...shown, ...rest]) });
    expect(await server.services.recovery.runNow()).toBe(0);
    const replayed = await watch(client, { streamId: sent.streamId });
    expect(replayed).toEqual([...shown, ...rest]);
  });
});

describe('an answer whose log and generator are both gone', () => {
  it('is settled by recovery as failed, and a resume from any index ends with STREAM_LOST, never out of range', async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({ redisPrefix: prefix });
    // The pass every server runs at start is over before the answer exists: the passes below are the ones counted.
    await server.services.recovery.runNow();
    const client = connect(server.url, 'ws');
    const { ids } = await seedAnswer(server.services, {
      ownerId: 'local',
      leaseMs: 10_000,
      question: 'lost with its generator',
      model: 'spool-demo',
      tokens: ['a', 'b', 'c'],
    });
    const redis = await observeRedis(prefix);
    const keys = streamKeys(prefix, ids.streamId);
    await redis.redis.del(keys.log, keys.meta);

    // Not at the first pass that finds it without a log (its generator could be putting it back), at the next.
    expect(await server.services.recovery.runNow()).toBe(0);
    expect(await server.services.recovery.runNow()).toBe(1);
    expect(await lastSaved(client, ids.conversationId)).toMatchObject({ status: 'failed', errorCode: 'STREAM_LOST' });
    expect(await watch(client, { streamId: ids.streamId })).toEqual([
      expect.objectContaining({ type: 'error', index: 0, code: 'STREAM_LOST' }),
    ]);
    // A reader that had seen tokens 0..3 resumes at 4: the truth is that they are lost.
    await expect(watch(client, { streamId: ids.streamId, fromIndex: 4 })).rejects.toMatchObject({
      data: { spoolCode: 'STREAM_LOST' },
    });
  });
});
