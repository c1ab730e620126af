import { type SendMessageInput, type SendMessageOutput, SpoolErrorCode } from '@spool/shared';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.ts';
import { DuplicateClientMessageError } from '../db/exchanges.ts';
import { SpoolError } from '../errors.ts';
import type { AnswerRunner } from '../generation/answer-runner.ts';
import type { ModelProvider } from '../generation/provider.ts';
import { startEventOf } from '../generation/run-generation.ts';
import { type FifoSemaphore, QueueDeadlineError } from '../limits/fifo-semaphore.ts';
import type { RequestRate } from '../limits/request-rate.ts';
import type { SpoolMetrics } from '../metrics/spool-metrics.ts';
import type { AnswerStart, AnswerStarts } from '../store/answer-starts.ts';
import type { ClientMessageClaims } from './client-message-claims.ts';

export interface SendMessageDeps {
  starts: AnswerStarts;
  rate: RequestRate;
  /** Where a started answer goes: generated here, or queued for a worker. */
  answers: AnswerRunner;
  provider: ModelProvider;
  db: Database;
  claims: ClientMessageClaims;
  /** The lease a new stream starts with: the generator's, or the queue timeout when it is queued for a worker. */
  leaseMs: number;
  /** The answers starting at once on this instance; the rest wait their turn. */
  starting: FifoSemaphore;
  /** Counts how long starts wait their turn; unset: nothing is counted. */
  metrics?: SpoolMetrics | undefined;
  /** How long a start may wait for its turn in a burst. */
  startDeadlineMs: number;
  log: Logger;
}

/**
 * The hot path. A burst waits its turn here, first come first served, until the start deadline
 * (SERVER_BUSY, nothing started). Then one store round trip counts the request, claims its
 * `clientMessageId`, takes the user's lease and creates the stream with its `start` event; the
 * generation starts at once, in parallel with the statement that saves the user message (together
 * with the other starts of the moment), and this returns when that has committed, so the ids it
 * returns are durable. If the save fails, the generation is stopped before it saves anything. A
 * repeated `clientMessageId` returns the first request's ids and starts nothing.
 */
export async function sendMessage(
  deps: SendMessageDeps,
  ownerId: string,
  input: SendMessageInput,
): Promise<SendMessageOutput> {
  const arrivedAt = Date.now();
  const model = input.model ?? deps.provider.defaultModel;
  if (!deps.provider.models.includes(model)) {
    throw new SpoolError(
      SpoolErrorCode.invalidInput,
      `unknown model "${model}"; available: ${deps.provider.models.join(', ')}`,
    );
  }
  // Checked before the start waits its turn: a user over their rate queues no work.
  if (deps.rate.refusedAlready(ownerId, arrivedAt)) throw deps.rate.refusal(arrivedAt);
  const done = await deps.starting.acquire(arrivedAt + deps.startDeadlineMs).catch((error: unknown) => {
    if (!(error instanceof QueueDeadlineError)) throw error;
    throw new SpoolError(
      SpoolErrorCode.serverBusy,
      `too many answers are starting at once; none could start for you within ${deps.startDeadlineMs} ms, try again`,
    );
  });
  deps.metrics?.startWait.observe((Date.now() - arrivedAt) / 1000);
  try {
    return await start(deps, { ownerId, input, model, arrivedAt });
  } finally {
    done();
  }
}

interface NewAnswer {
  ownerId: string;
  input: SendMessageInput;
  model: string;
  arrivedAt: number;
}

async function start(deps: SendMessageDeps, answer: NewAnswer): Promise<SendMessageOutput> {
  const { ownerId, input, model } = answer;
  const { clientMessageId } = input;
  const ids: SendMessageOutput = {
    conversationId: input.conversationId ?? uuidv7(),
    userMessageId: uuidv7(),
    assistantMessageId: uuidv7(),
    streamId: uuidv7(),
  };
  const request: AnswerStart = {
    streamId: ids.streamId,
    ownerId,
    leaseMs: deps.leaseMs,
    start: startEventOf({ ...ids, messageId: ids.assistantMessageId, model }),
    rate: deps.rate.counter(ownerId, answer.arrivedAt),
    claim: clientMessageId === undefined ? undefined : deps.claims.claimOf(ownerId, clientMessageId, ids),
  };
  let outcome = await deps.starts.begin(request);
  // Set when this call took over a lapsed claim itself, rather than with its start.
  let claimTakenOver = false;
  if (outcome.kind === 'claimed' && clientMessageId !== undefined) {
    const earlier = await deps.claims.awaitEarlier(ownerId, clientMessageId, ids, outcome.earlier);
    if (earlier) return earlier;
    claimTakenOver = true;
    // Counted already, and holding the claim now.
    outcome = await deps.starts.begin({ ...request, rate: undefined, claim: undefined });
  }
  if (outcome.kind !== 'started') {
    if (claimTakenOver && clientMessageId !== undefined) await settleClaim(deps, ownerId, clientMessageId, ids);
    throw refusal(deps, ownerId, outcome.kind, answer.arrivedAt);
  }
  const saved = await generateAndSave(deps, { ...answer, ids });
  if (saved === ids && clientMessageId !== undefined) {
    // Not waited for: a repeat meanwhile sees the pending claim and waits the few milliseconds this takes.
    deps.claims.commit(ownerId, clientMessageId, ids).catch((commitError: unknown) => {
      // Saved all the same: once the uncommitted claim lapses, the database's unique index answers a repeat.
      deps.log.warn({ err: commitError, clientMessageId }, 'could not mark an idempotency claim committed');
    });
  }
  return saved;
}

function refusal(
  deps: SendMessageDeps,
  ownerId: string,
  kind: 'rate-limited' | 'too-many-streams' | 'claimed',
  at: number,
): Error {
  if (kind === 'rate-limited') {
    deps.rate.refused(ownerId, at);
    return deps.rate.refusal(at);
  }
  if (kind === 'too-many-streams') {
    return new SpoolError(
      SpoolErrorCode.tooManyStreams,
      'too many answers are generating for you at once; wait for one to end or cancel one',
    );
  }
  return new Error('an idempotency claim was found after this request took it over');
}

/**
 * Starts the generation (which owns the user's lease from here) and saves the exchange beside it.
 * Returns the ids, or an earlier exchange's that the database found under the same `clientMessageId`.
 */
async function generateAndSave(
  deps: SendMessageDeps,
  answer: NewAnswer & { ids: SendMessageOutput },
): Promise<SendMessageOutput> {
  const { ownerId, input, model, ids } = answer;
  const { clientMessageId } = input;
  const existingConversation = input.conversationId !== undefined;
  const exchangeSaved = Promise.withResolvers<boolean>();
  deps.answers.start({
    ...ids,
    existingConversation,
    ownerId,
    messageId: ids.assistantMessageId,
    model,
    prompt: input.content,
    exchangeSaved: exchangeSaved.promise,
  });
  const exchange = { ...ids, ownerId, existingConversation, content: input.content, clientMessageId, model };
  try {
    await deps.db.answers.saveExchange(exchange);
  } catch (error) {
    exchangeSaved.resolve(false);
    deps.answers.stop(ids.streamId, 'rejected');
    // A duplicate found by the database (the fast-path claim had lapsed): remember its ids again.
    const existing = error instanceof DuplicateClientMessageError ? error.existing : undefined;
    if (clientMessageId !== undefined) await settleClaim(deps, ownerId, clientMessageId, ids, existing);
    if (existing) return existing;
    throw error;
  }
  exchangeSaved.resolve(true);
  return ids;
}

/** Gives up this request's claim, or points it at the `existing` exchange the database found. */
async function settleClaim(
  deps: SendMessageDeps,
  ownerId: string,
  clientMessageId: string,
  ids: SendMessageOutput,
  existing?: SendMessageOutput,
): Promise<void> {
  const settle = existing
    ? deps.claims.commit(ownerId, clientMessageId, existing)
    : deps.claims.release(ownerId, clientMessageId, ids);
  await settle.catch((claimError: unknown) => {
    // The uncommitted claim lapses by itself shortly; until then a retry is told to try again.
    deps.log.warn({ err: claimError, clientMessageId }, 'could not settle an idempotency claim');
  });
}
