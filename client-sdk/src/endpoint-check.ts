import { SpoolClientErrorCode, SpoolError } from './errors.ts';

/**
 * Whether `url` serves Spool's procedures under `prefix`. A failure that carries no Spool error
 * (a page's "not found" read as JSON, a WebSocket refused at the upgrade) may mean a wrong URL; this
 * asks with a GET of `sendMessage`, which a tRPC server that has it refuses with its own JSON error
 * (405). Wrong: a 404 or a page that is not tRPC's (an app's HTML), or tRPC saying it has no such
 * procedure (a wrong `path`). Anything else (unreachable, a 502 from a proxy mid-deploy, a 401 from
 * a gateway) cannot tell, and is asked again after the next failure, until Spool has answered once.
 */
export function endpointChecker(url: string, prefix: string, timeoutMs: number) {
  let asking: Promise<SpoolError | undefined> | undefined;
  let confirmed = false;
  return {
    /** Spool answered with one of its own errors or results: no need to ask any more. */
    confirm(): void {
      confirmed = true;
    },
    /** The error to report instead, when the URL is not Spool's. */
    check(): Promise<SpoolError | undefined> {
      if (confirmed) return Promise.resolve(undefined);
      asking ??= ask(url, prefix, timeoutMs).finally(() => {
        asking = undefined;
      });
      return asking;
    },
  };
}

async function ask(url: string, prefix: string, timeoutMs: number): Promise<SpoolError | undefined> {
  let response: Response;
  let body: string;
  try {
    response = await fetch(`${url}/${prefix}sendMessage`, { signal: AbortSignal.timeout(timeoutMs) });
    body = await response.text();
  } catch {
    return undefined;
  }
  const trpcCode = trpcErrorCode(body);
  const where = prefix ? ` under path '${prefix.slice(0, -1)}'` : '';
  if (trpcCode === 'NOT_FOUND') {
    const message = `${url} is a tRPC endpoint without Spool's procedures${where}; where an app mounts Spool, pass its path: createSpoolClient({ url, path: 'spool' })`;
    return endpointNotFound(message);
  }
  if (trpcCode === undefined && (response.status === 404 || response.ok)) {
    return endpointNotFound(
      `no Spool endpoint at ${url} (HTTP ${response.status}); the tRPC endpoint is usually .../trpc, e.g. http://127.0.0.1:3000/trpc`,
    );
  }
  return undefined;
}

function endpointNotFound(message: string): SpoolError {
  return new SpoolError(SpoolClientErrorCode.endpointNotFound, message, { retryable: false });
}

/** The `data.code` of a tRPC error response (superjson wraps it in `json`), or undefined for anything else. */
function trpcErrorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { data?: { code?: unknown }; json?: { data?: { code?: unknown } } } };
    const code = parsed.error?.data?.code ?? parsed.error?.json?.data?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
