import type { DataTransformerOptions } from '@trpc/server/unstable-core-do-not-import';

/**
 * A tRPC link's `transformer` option, untyped: Spool's router type has no transformer, so tRPC's types
 * refuse one, yet an app that mounts Spool with superjson needs its links to use it.
 */
export function transformerOption(transformer: DataTransformerOptions | undefined): object {
  return transformer === undefined ? {} : { transformer };
}
