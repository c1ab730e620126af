import type { TRPCLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';

/** Sends each operation under `prefix` (`'spool.'`): Spool's router mounted in an app's own. */
export function prefixedLink<TRouter extends AnyRouter>(prefix: string): TRPCLink<TRouter> {
  return () =>
    ({ op, next }) =>
      next({ ...op, path: prefix + op.path });
}
