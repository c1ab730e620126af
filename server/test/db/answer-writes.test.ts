import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { FinalAnswer } from '../../src/db/answers.ts';
import { type Database, inMemoryDataDir, openDatabase } from '../../src/db/database.ts';
import { ConversationNotFoundError } from '../../src/db/errors.ts';
import { DuplicateClientMessageError, type Exchange } from '../../src/db/exchanges.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { testLog } from '../helpers/redis.ts';

const engines: [string, () => Promise<{ url: string | undefined; dataDir: string; migrate: boolean }>][] = [
  ['PostgreSQL', async () => ({ url: await testDatabaseUrl(), dataDir: '', migrate: false })],
  ['PGlite', async () => ({ url: undefined, dataDir: inMemoryDataDir, migrate: true })],
];

function exchange(overrides: Partial<Exchange> = {}): Exchange {
  return {
    conversationId: uuidv7(),
    userMessageId: uuidv7(),
    assistantMessageId: uuidv7(),
    streamId: uuidv7(),
    ownerId: 'writer',
    existingConversation: false,
    content: 'question',
    clientMessageId: undefined,
    model: 'm',
    ...overrides,
  };
}

function final(messageId: string, content: string): FinalAnswer {
  return {
    messageId,
    content,
    status: 'complete',
    finishReason: 'stop',
    usage: null,
    errorCode: null,
    replay: { tokenLengths: [content.length], events: [] },
  };
}

describe.each(engines)('the answer path’s writes on %s', (_engine, options) => {
  async function open(): Promise<{ db: Database; statements: () => number }> {
    let statements = 0;
    const db = await openDatabase({
      ...(await options()),
      poolSize: 2,
      log: testLog,
      onQuery: (sql) => {
        if (sql.includes('unnest(')) statements++;
      },
    });
    onTestFinished(() => db.close());
    return { db, statements: () => statements };
  }

  it('saves exchanges made at once in a few statements, each failing alone: an unknown conversation, a repeated clientMessageId', async () => {
    const { db, statements } = await open();
    const first = exchange({ clientMessageId: 'once' });
    await db.answers.saveExchange(first);
    const before = statements();
    const good = Array.from({ length: 60 }, () => exchange());
    const followUp = exchange({ conversationId: first.conversationId, existingConversation: true });
    const unknown = exchange({ existingConversation: true });
    const notMine = exchange({ conversationId: first.conversationId, existingConversation: true, ownerId: 'other' });
    const repeat = exchange({ clientMessageId: 'once' });
    const twins = [exchange({ clientMessageId: 'twice' }), exchange({ clientMessageId: 'twice' })];
    const outcomes = await Promise.allSettled(
      [...good, followUp, unknown, notMine, repeat, ...twins].map((e) => db.answers.saveExchange(e)),
    );
    expect(outcomes.slice(0, 61).every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    expect(outcomes[61]).toMatchObject({ status: 'rejected', reason: expect.any(ConversationNotFoundError) });
    expect(outcomes[62]).toMatchObject({ status: 'rejected', reason: expect.any(ConversationNotFoundError) });
    const duplicate = outcomes[63];
    expect(duplicate).toMatchObject({ status: 'rejected', reason: expect.any(DuplicateClientMessageError) });
    expect(duplicate?.status === 'rejected' && (duplicate.reason as DuplicateClientMessageError).existing).toEqual({
      conversationId: first.conversationId,
      userMessageId: first.userMessageId,
      assistantMessageId: first.assistantMessageId,
      streamId: first.streamId,
    });
    // The second of two exchanges with one new id, in one batch, is a repeat of the first.
    expect(outcomes[64]).toMatchObject({ status: 'fulfilled' });
    expect(outcomes[65]).toMatchObject({
      status: 'rejected',
      reason: { existing: { userMessageId: twins[0]?.userMessageId, streamId: twins[0]?.streamId } },
    });
    // A few statements for the lot: the repeats are set aside, and the rest saved together again.
    expect(statements() - before).toBeLessThanOrEqual(3);
    const saved = await db
      .em()
      .getConnection()
      .execute<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM message WHERE id IN (${[...good, followUp].map((e) => `'${e.userMessageId}', '${e.assistantMessageId}'`).join(', ')})`,
      );
    expect(saved[0]?.n).toBe(2 * 61);
    // The exchange made in someone else's conversation saved nothing.
    const intruded = await db
      .em()
      .getConnection()
      .execute<{ n: number }[]>(`SELECT count(*)::int AS n FROM message WHERE owner_id = 'other'`);
    expect(intruded[0]?.n).toBe(0);
  });

  it('writes a final answer once, even when it is given twice at once', async () => {
    const { db } = await open();
    const saved = exchange();
    await db.answers.saveExchange(saved);
    const other = exchange();
    await db.answers.saveExchange(other);
    const results = await Promise.all([
      db.answers.saveFinalAnswer(final(saved.assistantMessageId, 'generator')),
      db.answers.saveFinalAnswer(final(saved.assistantMessageId, 'recovery')),
      db.answers.saveFinalAnswer(final(other.assistantMessageId, 'other answer')),
    ]);
    expect(results.filter((result, i) => i < 2 && result)).toHaveLength(1);
    expect(results[2]).toBe(true);
    expect(await db.answers.saveFinalAnswer(final(saved.assistantMessageId, 'late'))).toBe(false);
    const rows = await db
      .em()
      .getConnection()
      .execute<{ content: string; status: string }[]>(
        `SELECT content, status FROM message WHERE id IN ('${saved.assistantMessageId}', '${other.assistantMessageId}') ORDER BY id`,
      );
    expect(rows.map((row) => row.status)).toEqual(['complete', 'complete']);
    expect(['generator', 'recovery']).toContain(rows[0]?.content);
    expect(rows[1]?.content).toBe('other answer');
  });
});
