import type { AnyRouter, TRPCError } from '@trpc/server';
import type { Logger } from 'pino';
import type { AnswerSources } from '../answers/read-answer.ts';
import { toTRPCError } from '../errors.ts';
import type { SubscriptionLimits } from '../limits/subscription-slots.ts';
import type { StreamMeta } from '../store/types.ts';
import type { ProcedureErrors } from './procedure-errors.ts';
import { assertNoTransformer, streamErrorShape } from './trpc-wire.ts';

/** What Spool's own WebSocket and SSE endpoints need to serve `stream` without going through tRPC's loop. */
export interface FastStreamDeps {
  /** For the error shapes (the router's error formatter) and the SSE options. */
  router: AnyRouter;
  sources: AnswerSources;
  limits: SubscriptionLimits;
  /** A subscriber whose socket holds more than this waits, and reads on from the log once it drained. */
  maxBufferedBytes: number;
  log: Logger;
  /** Where a failed subscription is reported (logs, refusal counts). */
  errors: ProcedureErrors;
}

/** The dependencies, once checked: the fast path writes JSON, so the router must have no transformer. */
export function fastStreamDeps(deps: FastStreamDeps): FastStreamDeps {
  assertNoTransformer(deps.router);
  return deps;
}

/**
 * The stream's metadata, asked for beside the subscription's rate check so that both share one round
 * trip. Unused if the check refuses; its failure is then nobody's, so it is caught here (the watch
 * that uses it sees the rejection all the same).
 */
export function prefetchMeta(sources: AnswerSources, streamId: string): Promise<StreamMeta | null> {
  const meta = sources.store.meta(streamId);
  meta.catch(() => {});
  return meta;
}

/** A failure as tRPC would put it on the wire for `stream`: the typed error, logged if it is ours, then shaped. */
export function streamFailure(deps: FastStreamDeps, cause: unknown, ctx: unknown, input: unknown): unknown {
  const error: TRPCError = toTRPCError(cause);
  const userId = (ctx as { userId?: string | null } | undefined)?.userId;
  deps.errors.report({ error, path: 'stream', type: 'subscription', userId });
  return streamErrorShape(deps.router, error, ctx, input);
}
