import type { StreamEvent } from '@spool/shared';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { finalAnswerFromLog } from '../../src/answers/outcome.ts';
import { readAnswer } from '../../src/answers/read-answer.ts';
import { openDatabase } from '../../src/db/database.ts';
import { PerUserQueries } from '../../src/limits/per-user-queries.ts';
import { MemoryStreamStore } from '../../src/store/memory.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { testLog } from '../helpers/redis.ts';
import { seedAnswer } from '../helpers/seed-answer.ts';

describe('reading an answer whose log expires while it is read', () => {
  it('goes on from the saved answer at the next index, with no gap and no repeat', async () => {
    const db = await openDatabase({
      url: await testDatabaseUrl(),
      dataDir: '',
      migrate: false,
      poolSize: 2,
      log: testLog,
    });
    onTestFinished(() => db.close());
    // One event per read, and a log that expires 50 ms after its end: the read outlives it.
    const store = new MemoryStreamStore({ logTtlMs: 50, pageSize: 1 });
    onTestFinished(() => store.close());

    const ownerId = 'reader';
    const seeded = { ownerId, leaseMs: 10_000, question: 'q', model: 'm', tokens: ['one ', 'two ', 'three'] };
    const { ids, log } = await seedAnswer({ store, db }, seeded);
    const { streamId, assistantMessageId: messageId } = ids;
    expect(
      await db.answers.saveFinalAnswer(
        finalAnswerFromLog(messageId, [...log, { type: 'done', index: 4, finishReason: 'stop', usage: null }]),
      ),
    ).toBe(true);
    log.push(await store.append(streamId, { type: 'done', finishReason: 'stop', usage: null }));

    const read: StreamEvent[] = [];
    for await (const event of readAnswer(
      { store, db, queries: new PerUserQueries({ concurrency: 3, perSecond: 100, burst: 100 }) },
      { streamId, ownerId, fromIndex: 0 },
    )) {
      read.push(event);
      if (event.index === 1) await vi.waitFor(async () => expect(await store.meta(streamId)).toBeNull());
    }
    expect(read).toEqual(log);
  });
});
