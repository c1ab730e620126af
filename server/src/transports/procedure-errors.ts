import type { TRPCError } from '@trpc/server';
import type { Logger } from 'pino';
import { SpoolError } from '../errors.ts';
import type { SpoolMetrics } from '../metrics/spool-metrics.ts';

/** A failed procedure, as the transports see it. */
export interface ProcedureFailure {
  error: TRPCError;
  path: string | undefined;
  type: string;
  /** The caller, when it is known. */
  userId?: string | null | undefined;
}

/** tRPC codes of a request refused for a limit, a token, or a server that takes no more. */
const refusalCodes = new Set(['TOO_MANY_REQUESTS', 'UNAUTHORIZED', 'SERVICE_UNAVAILABLE']);

/** How long one line stands for the refusals of one user and code that follow it. */
const refusalWindowMs = 10_000;

/**
 * What the transports report of failed procedures: a failure that is ours to fix is logged as an
 * error; a refusal is counted (by Spool code) and logged at `info`, once per user and code per
 * window, with how many followed it, so that a flood of refusals is a few lines, not one per request.
 * Everything else (not found, bad input) is the caller's business, answered and not logged.
 */
export class ProcedureErrors {
  readonly #log: Logger;
  readonly #metrics: SpoolMetrics | undefined;
  #refused = new Map<string, { userId: string | null; code: string; count: number }>();
  readonly #timer: NodeJS.Timeout;

  constructor(log: Logger, metrics: SpoolMetrics | undefined) {
    this.#log = log;
    this.#metrics = metrics;
    this.#timer = setInterval(() => this.#endWindow(), refusalWindowMs).unref();
  }

  report({ error, path, type, userId }: ProcedureFailure): void {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      this.#log.error({ err: error, path, type }, 'procedure failed');
      return;
    }
    if (!refusalCodes.has(error.code)) return;
    const code = error.cause instanceof SpoolError ? error.cause.code : error.code;
    this.#metrics?.refusals.inc({ code });
    const key = `${userId ?? ''}\n${code}`;
    const seen = this.#refused.get(key);
    if (seen) seen.count++;
    else {
      this.#refused.set(key, { userId: userId ?? null, code, count: 1 });
      this.#log.info({ code, userId: userId ?? null, path }, 'refused a request');
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#endWindow();
  }

  #endWindow(): void {
    for (const { userId, code, count } of this.#refused.values()) {
      if (count > 1) this.#log.info({ code, userId, refused: count, windowMs: refusalWindowMs }, 'refused requests');
    }
    this.#refused = new Map();
  }
}
