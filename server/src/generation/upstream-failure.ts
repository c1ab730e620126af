import { SpoolErrorCode } from '@spool/shared';
import OpenAI from 'openai';
import { ProviderError } from './provider-error.ts';

/** Upstream text kept in an error message: enough to diagnose, never a whole HTML page. */
const maxDetailChars = 300;

/**
 * What an upstream failure means for the watchers. `streaming`: the response had begun, so a
 * transport failure now is a connection cut mid-answer.
 */
export function upstreamFailure(error: unknown, streaming: boolean): ProviderError {
  const fail = (code: SpoolErrorCode, message: string, retryAfterMs?: number) =>
    new ProviderError(code, message, { cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  if (error instanceof OpenAI.APIConnectionError) {
    return fail(SpoolErrorCode.providerConnectionLost, 'could not reach the model provider');
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const detail = brief(error.message);
    if (status === 401 || status === 403) {
      return fail(SpoolErrorCode.providerAuth, `the model provider refused Spool's credentials (${status})`);
    }
    if (status === 404) return fail(SpoolErrorCode.modelNotFound, `the model provider answered 404: ${detail}`);
    if (status === 429) {
      return fail(
        SpoolErrorCode.providerRateLimited,
        'the model provider is rate limiting',
        retryAfterMsOf(error.headers),
      );
    }
    if (status === 408) return fail(SpoolErrorCode.providerTimeout, 'the model provider timed out (408)');
    if (status !== undefined && status >= 400 && status < 500) {
      return fail(SpoolErrorCode.providerRejected, `the model provider refused the request (${status}): ${detail}`);
    }
    // 5xx, or an error object sent inside the stream (no status): the provider's own trouble.
    return fail(SpoolErrorCode.providerError, `the model provider failed${status ? ` (${status})` : ''}: ${detail}`);
  }
  if (error instanceof SyntaxError) {
    return fail(SpoolErrorCode.providerBadResponse, 'the model provider sent a chunk that is not JSON');
  }
  if (streaming && isTransportFailure(error)) {
    return fail(SpoolErrorCode.providerConnectionLost, 'the connection to the model provider was cut mid-answer');
  }
  return fail(SpoolErrorCode.internal, 'the model provider call failed unexpectedly');
}

/** undici's words for a response body cut off: `TypeError: terminated`, caused by a socket error. */
function isTransportFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.message === 'terminated' || /socket|ECONNRESET|other side closed/i.test(error.message)) return true;
  return error.cause !== undefined && isTransportFailure(error.cause);
}

function brief(text: string): string {
  return text.length <= maxDetailChars ? text : `${text.slice(0, maxDetailChars)}…`;
}

/** `retry-after-ms` (OpenAI's) or `retry-after` in seconds or as an HTTP date. */
function retryAfterMsOf(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return Math.round(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
