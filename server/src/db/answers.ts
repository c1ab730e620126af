import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import type { FinishReason, MessageStatus, SpoolErrorCode, Usage } from '@spool/shared';
import type { RecordedAnswer } from '../answers/replay.ts';
import { Message, type ReplayData } from './entities.ts';
import { withDatabase } from './errors.ts';
import { type Statement, type StatementPool, withSession } from './statement-pool.ts';

/** An answer's final state, written once when it ends. */
export interface FinalAnswer extends RecordedAnswer {
  messageId: string;
  status: Exclude<MessageStatus, 'streaming'>;
  finishReason: FinishReason | null;
  usage: Usage | null;
  errorCode: SpoolErrorCode | null;
}

/**
 * Final answers, one per element of the array parameters, each only over its `streaming` placeholder
 * (the final write happens once). Returns the messages it wrote.
 */
const saveFinalAnswers: Statement = {
  name: 'spool_save_final_answers',
  text: `UPDATE message m SET content = u.content, status = u.status, finish_reason = u.finish_reason,
    prompt_tokens = u.prompt_tokens, completion_tokens = u.completion_tokens, total_tokens = u.total_tokens,
    error_code = u.error_code, replay = u.replay::jsonb, updated_at = $10::timestamptz
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::text[], $9::text[])
    AS u (id, content, status, finish_reason, prompt_tokens, completion_tokens, total_tokens, error_code, replay)
  WHERE m.id = u.id AND m.status = 'streaming'
  RETURNING m.id`,
};

/**
 * Writes a batch of final answers over their placeholders, as one statement; for each, whether it
 * wrote it (false: it was final already, someone else saved it).
 */
export async function commitFinalAnswers(
  statements: StatementPool,
  answers: readonly FinalAnswer[],
): Promise<boolean[]> {
  // The same answer twice in one batch (its generator and recovery at once): the first one writes.
  const first = new Map<string, FinalAnswer>();
  for (const answer of answers) if (!first.has(answer.messageId)) first.set(answer.messageId, answer);
  const unique = [...first.values()];
  const column = <T>(of: (answer: FinalAnswer) => T) => unique.map(of);
  const params = [
    column((a) => a.messageId),
    column((a) => a.content),
    column((a) => a.status),
    column((a) => a.finishReason),
    column((a) => a.usage?.promptTokens ?? null),
    column((a) => a.usage?.completionTokens ?? null),
    column((a) => a.usage?.totalTokens ?? null),
    column((a) => a.errorCode),
    // Text is well-formed by now (`wellFormedText`, where it entered): it stores as it streamed.
    column((a) => JSON.stringify(a.replay)),
    new Date().toISOString(),
  ];
  const { rows } = await withSession(statements, (session) => session.run(saveFinalAnswers, params));
  const written = new Set(rows.map((row) => row.id));
  return answers.map((answer) => written.has(answer.messageId) && first.get(answer.messageId) === answer);
}

/** What a reader needs of a saved answer: whose it is, how it ended, and what replays it. */
export interface SavedAnswer {
  ownerId: string;
  status: MessageStatus;
  content: string;
  replay: ReplayData | null;
  errorCode: SpoolErrorCode | null;
}

const answerByStream: Statement = {
  name: 'spool_answer_by_stream',
  text: 'SELECT owner_id, status, content, replay, error_code FROM message WHERE stream_id = $1',
};

/**
 * The assistant message a stream carries (or carried), by the answer path's prepared statement: a
 * reader asking for an unknown or expired stream costs the database one indexed lookup, not an ORM
 * query build.
 */
export async function findAnswerByStream(statements: StatementPool, streamId: string): Promise<SavedAnswer | null> {
  const { rows } = await withSession(statements, (session) => session.run(answerByStream, [streamId]));
  const [row] = rows;
  if (!row) return null;
  return {
    ownerId: String(row.owner_id),
    status: row.status as MessageStatus,
    content: String(row.content),
    replay: (row.replay ?? null) as ReplayData | null,
    errorCode: (row.error_code ?? null) as SpoolErrorCode | null,
  };
}

/** Answers still marked `streaming`: live ones, and those whose generator died or whose final write is pending. */
export function findStreamingAnswers(em: EntityManager, page: { after?: string | undefined; limit: number }) {
  const where = page.after
    ? { status: 'streaming' as const, id: { $gt: page.after } }
    : { status: 'streaming' as const };
  return withDatabase(() =>
    em.find(Message, where, { orderBy: { id: 'asc' }, limit: page.limit, disableIdentityMap: true }),
  );
}
