import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { RedisAnswerStarts } from '../../src/store/redis-answer-starts.ts';
import { streamKeys } from '../../src/store/redis-keys.ts';
import { connect, watch } from '../helpers/clients.ts';
import { observeRedis, testLog, uniquePrefix } from '../helpers/redis.ts';
import { startTwoServers } from '../helpers/server.ts';
import { testAuth, tokenFor } from '../helpers/tokens.ts';

describe('the per-user limit of concurrent answers', () => {
  it('grants exactly the limit when two instances are asked at once, and frees a place when an answer ends', async () => {
    const { a, b } = await startTwoServers({
      auth: testAuth,
      maxStreamsPerUser: 2,
      demoTokens: 200,
      demoTokensPerSecond: 50,
    });
    const token = await tokenFor(`busy-${randomUUID()}`);
    const onA = connect(a.url, 'ws', { token: () => token });
    const onB = connect(b.url, 'sse', { token: () => token });
    const attempts = await Promise.allSettled(
      [onA, onB, onA, onB, onA, onB].map((client, i) => client.sendMessage.mutate({ content: `question ${i}` })),
    );
    const granted = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
    expect(granted).toHaveLength(2);
    for (const attempt of attempts) {
      if (attempt.status === 'rejected') {
        expect(attempt.reason).toMatchObject({ data: { code: 'TOO_MANY_REQUESTS', spoolCode: 'TOO_MANY_STREAMS' } });
      }
    }
    // Another user is not held back.
    const otherToken = await tokenFor(`idle-${randomUUID()}`);
    const other = connect(a.url, 'ws', { token: () => otherToken });
    await expect(other.sendMessage.mutate({ content: 'mine' })).resolves.toMatchObject({
      streamId: expect.any(String),
    });

    const [first] = granted;
    if (!first) throw new Error('nothing granted');
    await onA.cancelStream.mutate({ streamId: first.streamId });
    expect((await watch(onA, { streamId: first.streamId })).at(-1)).toMatchObject({ finishReason: 'cancelled' });
    // The lease is released as the generation finishes, just after `done`: retried until it is.
    await vi.waitFor(() => onB.sendMessage.mutate({ content: 'room again' }));
  });

  it('lets a crashed holder’s lease lapse by itself', async () => {
    const prefix = uniquePrefix();
    const redis = await observeRedis(prefix);
    const starts = new RedisAnswerStarts(redis.redis, {
      prefix,
      logTtlMs: 60_000,
      userLeases: { limit: 1, ttlMs: 300 },
      cancelChannel: redis.store.cancelChannel,
      log: testLog,
    });
    const begin = (streamId: string) =>
      starts.begin({
        streamId,
        ownerId: 'crashy',
        leaseMs: 300,
        start: { type: 'start', streamId, conversationId: randomUUID(), messageId: randomUUID(), model: 'm' },
        rate: undefined,
        claim: undefined,
      });
    expect(await begin(randomUUID())).toEqual({ kind: 'started' });
    const refused = randomUUID();
    expect(await begin(refused)).toEqual({ kind: 'too-many-streams' });
    // A refused start leaves no stream behind.
    const keys = streamKeys(prefix, refused);
    expect(await redis.redis.exists(keys.meta, keys.log)).toBe(0);
    // Nobody refreshes the first lease (its process is gone): the place frees itself.
    await vi.waitFor(async () => expect(await begin(randomUUID())).toEqual({ kind: 'started' }));
    expect(await begin(randomUUID())).toEqual({ kind: 'too-many-streams' });
  });
});
