import type { AppRouter } from '@spool/server/router';
import { type TRPCLink, type TRPCWebSocketClient, wsLink } from '@trpc/client';
import type { DataTransformerOptions } from '@trpc/server/unstable-core-do-not-import';

/**
 * tRPC's WebSocket link, with the server's transformer when it has one. Spool's router type has none,
 * so tRPC's types refuse the option: it is passed untyped, for an app that mounts Spool with superjson.
 */
export function wsLinkOf(
  client: TRPCWebSocketClient,
  transformer: DataTransformerOptions | undefined,
): TRPCLink<AppRouter> {
  return wsLink<AppRouter>({ client, ...({ transformer } as object) });
}
