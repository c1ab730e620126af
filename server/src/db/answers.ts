import type { SqlEntityManager as EntityManager } from '@mikro-orm/sql';
import type { FinishReason, MessageStatus, SpoolErrorCode, Usage } from '@spool/shared';
import type { RecordedAnswer } from '../answers/replay.ts';
import { Message, type ReplayData } from './entities.ts';
import { withDatabase } from './errors.ts';

/** An answer's final state, written once when it ends. */
export interface FinalAnswer extends RecordedAnswer {
  messageId: string;
  status: Exclude<MessageStatus, 'streaming'>;
  finishReason: FinishReason | null;
  usage: Usage | null;
  errorCode: SpoolErrorCode | null;
}

/** Writes the final answer over its placeholder. Returns false if it was already final (someone else saved it). */
export async function saveFinalAnswer(em: EntityManager, answer: FinalAnswer): Promise<boolean> {
  const updated = await withDatabase(() =>
    em.nativeUpdate(
      Message,
      { id: answer.messageId, status: 'streaming' },
      {
        content: storable(answer.content),
        status: answer.status,
        finishReason: answer.finishReason,
        promptTokens: answer.usage?.promptTokens ?? null,
        completionTokens: answer.usage?.completionTokens ?? null,
        totalTokens: answer.usage?.totalTokens ?? null,
        errorCode: answer.errorCode,
        replay: JSON.parse(JSON.stringify(answer.replay, (_key, value) => storable(value))) as ReplayData,
        updatedAt: new Date(),
      },
    ),
  );
  return updated > 0;
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
