import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type HistoryEntries, MemoryHistoryEntries } from '../../src/store/history-entries.ts';
import { RedisHistoryEntries } from '../../src/store/redis-history-entries.ts';
import { openRedisStore, uniquePrefix } from '../helpers/redis.ts';

const ttlMs = 60_000;
const message = (id: string, content = `text of ${id}`) => ({
  id,
  json: JSON.stringify({ id, role: 'user', content }),
});

const implementations: [string, () => Promise<HistoryEntries>][] = [
  ['in-process', async () => new MemoryHistoryEntries()],
  [
    'Redis',
    async () => {
      const opened = await openRedisStore(uniquePrefix());
      onTestFinished(() => opened.close());
      return new RedisHistoryEntries(opened.redis, uniquePrefix());
    },
  ],
];

describe.each(implementations)('cached histories (%s)', (_name, open) => {
  it('miss, then hold what was filled, then what was appended: new ids once, the last `count` kept', async () => {
    const entries = await open();
    const conversation = randomUUID();
    const miss = await entries.load(conversation);
    expect(miss).toEqual({ hit: false, version: 0 });
    if (miss.hit) return;
    await entries.fill(conversation, miss.version, 'owner', [message('a').json, message('b').json], ttlMs);
    await entries.append(conversation, [message('b', 'again'), message('c'), message('d')], 3, ttlMs);
    expect(await entries.load(conversation)).toEqual({
      hit: true,
      ownerId: 'owner',
      messages: [message('b').json, message('c').json, message('d').json],
    });
  });

  it('keeps both of two appends made at once', async () => {
    const entries = await open();
    const conversation = randomUUID();
    await entries.fill(conversation, 0, 'owner', [], ttlMs);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => entries.append(conversation, [message(`m${i}`)], 100, ttlMs)),
    );
    const loaded = await entries.load(conversation);
    expect(loaded.hit && loaded.messages.toSorted()).toEqual(
      Array.from({ length: 10 }, (_, i) => message(`m${i}`).json).toSorted(),
    );
  });

  it('ignores a fill read from the database before an append or a forget', async () => {
    const entries = await open();
    const conversation = randomUUID();
    const before = await entries.load(conversation);
    if (before.hit) throw new Error('a new conversation is cached');
    // The final write lands while the database read of the miss is under way: nothing to append to.
    await entries.append(conversation, [message('late')], 20, ttlMs);
    await entries.fill(conversation, before.version, 'owner', [message('stale').json], ttlMs);
    const after = await entries.load(conversation);
    expect(after.hit).toBe(false);
    if (after.hit) return;
    await entries.fill(conversation, after.version, 'owner', [message('fresh').json], ttlMs);
    expect(await entries.load(conversation)).toMatchObject({ hit: true, messages: [message('fresh').json] });

    await entries.forget(conversation, ttlMs);
    const forgotten = await entries.load(conversation);
    if (forgotten.hit) throw new Error('still cached after forget');
    await entries.forget(conversation, ttlMs);
    await entries.fill(conversation, forgotten.version, 'owner', [message('stale').json], ttlMs);
    expect((await entries.load(conversation)).hit).toBe(false);
  });
});
