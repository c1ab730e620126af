import { SpoolClientErrorCode, SpoolError } from './errors.ts';

/**
 * Whether `url` serves Spool's procedures under `prefix`. A failure that carries no Spool error
 * (a page's "not found" read as JSON, a WebSocket refused at the upgrade) may mean a wrong URL; this
 * asks once, with a GET of `sendMessage`, which a tRPC server that has it refuses with its own JSON
 * error (405), and anything else answers differently. Resolves to the error to report when the URL
 * is not Spool, to undefined when it is or cannot be told (unreachable: that is a network failure).
 */
export function endpointChecker(url: string, prefix: string, timeoutMs: number) {
  let verdict: Promise<SpoolError | undefined> | undefined;
  let confirmed = false;
  return {
    /** Spool answered with one of its own errors or results: no need to ask. */
    confirm(): void {
      confirmed = true;
    },
    check(): Promise<SpoolError | undefined> {
      if (confirmed) return Promise.resolve(undefined);
      verdict ??= ask(url, prefix, timeoutMs).then((error) => {
        if (!error) verdict = undefined; // unreachable or Spool: ask again after the next failure
        return error;
      });
      return verdict;
    },
  };
}

async function ask(url: string, prefix: string, timeoutMs: number): Promise<SpoolError | undefined> {
  let response: Response;
  try {
    response = await fetch(`${url}/${prefix}sendMessage`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return undefined;
  }
  const trpc = isTrpcError(await response.text().catch(() => ''));
  if (trpc && response.status === 405) return undefined;
  const where = prefix ? ` under path '${prefix.slice(0, -1)}'` : '';
  const message = trpc
    ? `${url} is a tRPC endpoint without Spool's procedures${where}; where an app mounts Spool, pass its path: createSpoolClient({ url, path: 'spool' })`
    : `no Spool endpoint at ${url} (HTTP ${response.status}); the tRPC endpoint is usually .../trpc, e.g. http://127.0.0.1:3000/trpc`;
  return new SpoolError(SpoolClientErrorCode.endpointNotFound, message, { retryable: false });
}

/** A tRPC error response: JSON with an `error` object (superjson wraps it in `json`). */
function isTrpcError(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed;
  } catch {
    return false;
  }
}
