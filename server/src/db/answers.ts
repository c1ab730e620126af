import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import type { FinishReason, MessageStatus, SpoolErrorCode, Usage } from '@spool/shared';
import type { RecordedAnswer } from '../answers/replay.ts';
import { Message } from './entities.ts';
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

/** $1 message; the rest as set. Only over the `streaming` placeholder: the final write happens once. */
const finalAnswer: Statement = {
  name: 'spool_final_answer',
  text: `UPDATE message SET content = $2::text, status = $3::text, finish_reason = $4::text, prompt_tokens = $5::int,
    completion_tokens = $6::int, total_tokens = $7::int, error_code = $8::text, replay = $9::jsonb,
    updated_at = $10::timestamptz
    WHERE id = $1::uuid AND status = 'streaming'`,
};

/** Writes the final answer over its placeholder. Returns false if it was already final (someone else saved it). */
export async function saveFinalAnswer(statements: StatementPool, answer: FinalAnswer): Promise<boolean> {
  const params = [
    answer.messageId,
    storable(answer.content),
    answer.status,
    answer.finishReason,
    answer.usage?.promptTokens ?? null,
    answer.usage?.completionTokens ?? null,
    answer.usage?.totalTokens ?? null,
    answer.errorCode,
    JSON.stringify(answer.replay, (_key, value) => storable(value)),
    new Date().toISOString(),
  ];
  return (await withSession(statements, (session) => session.run(finalAnswer, params))) > 0;
}

/**
 * PostgreSQL refuses NUL in text and JSON; a model can still emit one. It becomes U+REPLACEMENT CHARACTER,
 * one UTF-16 unit like NUL, so the token boundaries of the replay stay right.
 */
function storable<T>(value: T): T {
  return (typeof value === 'string' ? value.replaceAll('\0', '\uFFFD') : value) as T;
}

/** The assistant message a stream carries (or carried). */
export function findAnswerByStream(em: EntityManager, streamId: string) {
  return withDatabase(() => em.findOne(Message, { streamId }, { disableIdentityMap: true }));
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
