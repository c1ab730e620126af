import type { AppRouter } from '@spool/server/router';
import { SpoolErrorCode } from '@spool/shared';
import type { TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { endpointChecker } from './endpoint-check.ts';
import { causesOf, type SpoolError } from './errors.ts';
import type { ActiveTransport } from './transports.ts';

export interface CheckedLinkDeps {
  choose: () => Promise<ActiveTransport>;
  chains: Record<ActiveTransport, TRPCLink<AppRouter>>;
  endpoint: ReturnType<typeof endpointChecker>;
  failures: ReturnType<typeof failureReports>;
  reprobe: () => void;
}

/**
 * Sends each operation over whichever transport `choose` settles on (at once, once it has chosen).
 * An error without Spool's data is checked against the endpoint first: a wrong URL is reported as
 * such, and every operation still waiting fails with it.
 */
export function checkedLink({ choose, chains, endpoint, failures, reprobe }: CheckedLinkDeps): TRPCLink<AppRouter> {
  return (runtime) => {
    const links = { ws: chains.ws(runtime), sse: chains.sse(runtime) };
    return ({ op, next }) =>
      observable((observer) => {
        let inner: Unsubscribable | undefined;
        let stopped = false;
        const report = (error: unknown) => {
          if (!stopped) observer.error(error as never);
        };
        const stopFailing = failures.add(report);
        void choose().then((transport) => {
          if (stopped) return;
          inner = links[transport]({ op, next }).subscribe({
            next(result) {
              // A subscription's connection state: its error may be the first sign of a wrong URL.
              const state = result.result as { type?: string; error?: unknown };
              if (state.type !== 'state') endpoint.confirm();
              else if (state.error && !fromSpool(state.error)) {
                if (transport === 'sse') reprobe();
                void endpoint.check().then((wrong) => wrong && report(wrong));
              }
              observer.next(result);
            },
            error(error) {
              if (fromSpool(error)) {
                endpoint.confirm();
                observer.error(error);
                return;
              }
              if (transport === 'sse') reprobe();
              void endpoint.check().then((wrong) => report(wrong ?? error));
            },
            complete: () => observer.complete(),
          });
        });
        return () => {
          stopped = true;
          stopFailing();
          inner?.unsubscribe();
        };
      });
  };
}

/** The operations in flight, to fail together when the endpoint turns out to be wrong. */
export function failureReports() {
  const waiting = new Set<(error: SpoolError) => void>();
  return {
    add(report: (error: SpoolError) => void): () => void {
      waiting.add(report);
      return () => waiting.delete(report);
    },
    failAll(error: SpoolError): void {
      for (const report of [...waiting]) report(error);
      waiting.clear();
    },
  };
}

/**
 * Whether an error came from Spool: it carries tRPC's error data, and a NOT_FOUND is one of Spool's
 * own (no such stream...), not tRPC's "no procedure at this path" (where the URL or `path` is wrong).
 */
function fromSpool(error: unknown): boolean {
  for (const cause of causesOf(error)) {
    const data = cause.data as { code?: unknown; spoolCode?: unknown } | null | undefined;
    if (typeof data !== 'object' || data === null) continue;
    return data.code !== 'NOT_FOUND' || spoolNotFound.has(data.spoolCode as SpoolErrorCode);
  }
  return false;
}

const spoolNotFound = new Set<SpoolErrorCode>([
  SpoolErrorCode.streamNotFound,
  SpoolErrorCode.conversationNotFound,
  SpoolErrorCode.streamLost,
]);
