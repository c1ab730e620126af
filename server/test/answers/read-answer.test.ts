import type { StreamEvent } from '@spool/shared';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { finalAnswerFromLog } from '../../src/answers/outcome.ts';
import { readAnswer } from '../../src/answers/read-answer.ts';
import { saveFinalAnswer } from '../../src/db/answers.ts';
import { openDatabase } from '../../src/db/database.ts';
import { saveExchange } from '../../src/db/exchanges.ts';
import { MemoryStreamStore } from '../../src/store/memory.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { testLog } from '../helpers/redis.ts';

describe('reading an answer whose log expires while it is read', () => {
  it('goes on from the saved answer at the next index, with no gap and no repeat', async () => {
    const db = await openDatabase({ url: await testDatabaseUrl(), dataDir: '', migrate: false, log: testLog });
    onTestFinished(() => db.close());
    // One event per read, and a log that expires 50 ms after its end: the read outlives it.
    const store = new MemoryStreamStore({ logTtlMs: 50, pageSize: 1 });
    onTestFinished(() => store.close());

    const ids = { conversationId: uuidv7(), userMessageId: uuidv7(), assistantMessageId: uuidv7(), streamId: uuidv7() };
    const ownerId = 'reader';
    await store.create(ids.streamId, { ownerId, leaseMs: 10_000 });
    await saveExchange(db.em(), {
      ...ids,
      ownerId,
      existingConversation: false,
      content: 'q',
      clientMessageId: undefined,
      model: 'm',
    });
    const { streamId, conversationId, assistantMessageId: messageId } = ids;
    const log: StreamEvent[] = [
      await store.append(streamId, { type: 'start', streamId, conversationId, messageId, model: 'm' }),
    ];
    for (const text of ['one ', 'two ', 'three']) log.push(await store.append(streamId, { type: 'token', text }));
    expect(
      await saveFinalAnswer(
        db.em(),
        finalAnswerFromLog(messageId, [...log, { type: 'done', index: 4, finishReason: 'stop', usage: null }]),
      ),
    ).toBe(true);
    log.push(await store.append(streamId, { type: 'done', finishReason: 'stop', usage: null }));

    const read: StreamEvent[] = [];
    for await (const event of readAnswer({ store, db }, { streamId, ownerId, fromIndex: 0 })) {
      read.push(event);
      if (event.index === 1) await vi.waitFor(async () => expect(await store.meta(streamId)).toBeNull());
    }
    expect(read).toEqual(log);
  });
});
