import { describe, expect, it } from 'vitest';
import { streamKeys } from '../../src/store/redis-keys.ts';
import { connect, watch } from '../helpers/clients.ts';
import { observeRedis, uniquePrefix } from '../helpers/redis.ts';
import { startTestServer, startTwoServers } from '../helpers/server.ts';

describe('sendMessage with a clientMessageId already used', () => {
  it('returns the same ids and starts one generation, when two instances race', async () => {
    const { prefix, a, b } = await startTwoServers({ demoTokens: 30, demoTokensPerSecond: 300 });
    const onA = connect(a.url, 'ws');
    const onB = connect(b.url, 'sse');
    const input = { content: 'only once', clientMessageId: 'retry-me' };

    const results = await Promise.all([
      onA.sendMessage.mutate(input),
      onB.sendMessage.mutate(input),
      onA.sendMessage.mutate(input),
      onB.sendMessage.mutate(input),
    ]);
    for (const result of results) expect(result).toEqual(results[0]);
    const redis = await observeRedis(prefix);
    expect(await redis.redis.keys(streamKeys(prefix, '*').meta)).toHaveLength(1);

    const [sent] = results;
    if (!sent) throw new Error('no result');
    expect((await watch(onB, { streamId: sent.streamId })).at(-1)?.type).toBe('done');
    const { items } = await onA.listMessages.query({ conversationId: sent.conversationId });
    expect(items.map((message) => message.id)).toEqual([sent.assistantMessageId, sent.userMessageId]);
    expect(await onB.sendMessage.mutate(input)).toEqual(sent);
  });

  it('is still answered by the database once the fast-path claim has expired, without a second answer saved', async () => {
    const prefix = uniquePrefix();
    const server = await startTestServer({ redisPrefix: prefix });
    const client = connect(server.url, 'ws');
    const input = { content: 'remembered for long', clientMessageId: 'old-id' };
    const sent = await client.sendMessage.mutate(input);
    await watch(client, { streamId: sent.streamId });

    const redis = await observeRedis(prefix);
    const claims = await redis.redis.keys(`${prefix}:kv:client-message:*`);
    expect(claims).toHaveLength(1);
    await redis.redis.del(...claims);

    for (let i = 0; i < 3; i++) expect(await client.sendMessage.mutate(input)).toEqual(sent);
    const { items } = await client.listMessages.query({ conversationId: sent.conversationId });
    expect(items).toHaveLength(2);
    // The first repeat, unknown to Redis, started an answer that the database refused and stopped;
    // it put the claim back, so the next repeats started nothing.
    expect(await redis.redis.keys(streamKeys(prefix, '*').meta)).toHaveLength(2);
    expect(await redis.redis.keys(`${prefix}:kv:client-message:*`)).toHaveLength(1);
  });

  it('starts a new answer for a new clientMessageId', async () => {
    const server = await startTestServer();
    const client = connect(server.url, 'ws');
    const first = await client.sendMessage.mutate({ content: 'one', clientMessageId: 'same' });
    const second = await client.sendMessage.mutate({ content: 'two', clientMessageId: 'other' });
    expect(second.streamId).not.toBe(first.streamId);
  });
});
