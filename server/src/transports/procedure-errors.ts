import type { TRPCError } from '@trpc/server';
import type { Logger } from 'pino';

/** What the transports log of a failed procedure: only what is ours to fix; refusals are the caller's. */
export function logProcedureError(
  log: Logger,
  info: { error: TRPCError; path: string | undefined; type: string },
): void {
  if (info.error.code === 'INTERNAL_SERVER_ERROR')
    log.error({ err: info.error, path: info.path, type: info.type }, 'procedure failed');
}
