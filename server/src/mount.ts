import { SpoolErrorCode } from '@spool/shared';
import { SpoolError, toTRPCError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { SpoolServices } from './services.ts';
import type { SpoolContext } from './trpc/init.ts';
import type { AppRouter } from './trpc/router.ts';

/** The part of an app's `initTRPC...create()` result that `mountSpool` reads. */
export interface HostTRPC<TContext> {
  _config: {
    $types: { ctx: TContext };
    sse?: { ping?: { enabled?: boolean } } | undefined;
    // biome-ignore lint/suspicious/noExplicitAny: tRPC's formatter type depends on the app's error shape.
    errorFormatter: (options: any) => unknown;
  };
}

/**
 * Spool's router, to nest in an app's own: `t.router({ spool: mountSpool(t, services) })`. The app's
 * error formatter and transformer apply to Spool's procedures as to its own. Its context must say who
 * is calling (`userId`: a type error otherwise; null or undefined at run time: UNAUTHORIZED), and, on
 * its WebSocket server, may add `services.webSocketContext(socket)` for Spool's per-connection limits
 * and backpressure. Clients reach it with `createSpoolClient({ url, path: 'spool' })`.
 */
export function mountSpool<TContext extends SpoolContext>(t: HostTRPC<TContext>, services: SpoolServices): AppRouter {
  if (!t._config.sse?.ping?.enabled) {
    services.log.warn(
      'the app mounting Spool does not ping SSE subscriptions: a quiet answer may be cut by a proxy; pass `sse: spoolSseOptions` to initTRPC.create()',
    );
  }
  if (!formatsSpoolCodes(t._config.errorFormatter, services.log)) {
    services.log.warn(
      "the app's error formatter leaves out Spool's error codes: clients see tRPC's codes only; add `...spoolErrorData(error)` to its `data`",
    );
  }
  return services.router;
}

/** Whether the app's formatter keeps `data.spoolCode`, tried on a Spool error. */
function formatsSpoolCodes(formatter: HostTRPC<unknown>['_config']['errorFormatter'], log: Logger): boolean {
  const error = toTRPCError(new SpoolError(SpoolErrorCode.streamNotFound, 'a sample'));
  const shape = { message: error.message, code: -32004, data: { code: error.code, httpStatus: 404 } };
  try {
    const formatted = formatter({
      error,
      shape,
      type: 'query',
      path: 'spool.stream',
      input: undefined,
      ctx: undefined,
    });
    return (
      (formatted as { data?: { spoolCode?: unknown } } | undefined)?.data?.spoolCode === SpoolErrorCode.streamNotFound
    );
  } catch (error) {
    log.warn({ err: error }, "the app's error formatter threw on a sample of Spool's errors");
    return false;
  }
}
