import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AnswerStart } from '../../src/store/answer-starts.ts';
import { StreamExistsError } from '../../src/store/errors.ts';
import { RedisAnswerStarts } from '../../src/store/redis-answer-starts.ts';
import type { RedisTarget } from '../../src/store/redis-connection.ts';
import { streamKeys, userLeaseKey } from '../../src/store/redis-keys.ts';
import type { ScriptCommand } from '../../src/store/redis-script-commands.ts';
import { openRedisStore, testLog, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { useLocalRedisCluster } from '../helpers/redis-cluster.ts';

const local = useLocalRedisCluster();
const ownerId = 'starter';

async function setup(target: RedisTarget, limit = 1) {
  const prefix = uniquePrefix();
  const opened = await openRedisStore(prefix, {}, target);
  onTestFinished(() => opened.close());
  const starts = new RedisAnswerStarts(opened.redis, {
    prefix,
    logTtlMs: 60_000,
    userLeases: { limit, ttlMs: 60_000 },
    cancelChannel: opened.store.cancelChannel,
    log: testLog,
  });
  const start = (streamId: string, claimValue = randomUUID()): AnswerStart => ({
    streamId,
    ownerId,
    leaseMs: 60_000,
    start: { type: 'start', streamId, conversationId: randomUUID(), messageId: randomUUID(), model: 'm' },
    rate: { key: `rate:{"${ownerId}"}:1`, limit: 100, windowMs: 60_000 },
    claim: { key: `client-message:{"${ownerId}"}:${claimValue}`, value: claimValue, ttlMs: 60_000 },
  });
  // The scripts as `RedisAnswerStarts` defined them on the connection: to send one again, as ioredis does after a reconnect.
  const scripts = opened.redis as unknown as Record<string, ScriptCommand>;
  return { prefix, opened, starts, start, scripts };
}

describe.each([
  ['one Redis', () => ({ url: testRedisUrl })],
  ['a Redis Cluster', () => local.target],
] as const)('answer starts on %s', (_name, target) => {
  it('refuses a stream id that exists, keeping its lease, and gives back the claim it took', async () => {
    const { prefix, opened, starts, start } = await setup(target(), 2);
    const streamId = randomUUID();
    expect(await starts.begin(start(streamId))).toEqual({ kind: 'started' });
    const again = start(streamId);
    await starts.begin({ ...again, rate: undefined }).then(
      () => expect.unreachable('a second start of one stream id'),
      (error: unknown) => expect(error).toBeInstanceOf(StreamExistsError),
    );
    expect(await opened.redis.zscore(userLeaseKey(prefix, ownerId), streamId)).not.toBeNull();
    expect(await opened.redis.exists(`${prefix}:kv:${again.claim?.key}`)).toBe(0);
  });

  it('takes the same start sent again after a reconnect as done, not as another answer', async () => {
    const { prefix, opened, starts, start, scripts } = await setup(target());
    const streamId = randomUUID();
    const first = start(streamId);
    expect(await starts.begin(first)).toEqual({ kind: 'started' });
    const epoch = (await opened.store.meta(streamId))?.epoch ?? '';
    const keys = streamKeys(prefix, streamId);
    const lease = userLeaseKey(prefix, ownerId);
    const claimKey = `${prefix}:kv:${first.claim?.key}`;
    const rateKey = `${prefix}:kv:${first.rate?.key}`;
    const create = [
      keys.channel,
      60_000,
      ownerId,
      epoch,
      60_000,
      JSON.stringify(first.start),
      opened.store.cancelChannel,
    ];
    // The user's limit is one answer, which this one holds: only a resend recognised as such is not refused.
    const user = [100, 60_000, 1, first.claim?.value ?? '', 60_000, 60_000, streamId];
    if (opened.redis.isCluster) {
      expect(await scripts.spoolTakeUser?.(rateKey, lease, claimKey, ...user)).toEqual(['held']);
      expect(await scripts.spoolCreateStream?.(keys.log, keys.meta, ...create)).toBe(1);
    } else {
      const reply = await scripts.spoolBeginAnswer?.(keys.log, keys.meta, rateKey, lease, claimKey, ...create, ...user);
      expect(reply).toEqual(['started']);
    }
    expect((await opened.store.readLog(streamId))?.map((event) => event.type)).toEqual(['start']);
  });
});
