import { SpoolClientErrorCode, SpoolError } from './errors.ts';
import type { Transport } from './transports.ts';

const transports: readonly Transport[] = ['ws', 'sse', 'auto'];

/**
 * The server's tRPC URL, absolute (a page's relative `/trpc` against its own address) and without a
 * trailing slash, or INVALID_OPTIONS at creation (not at the first call) for what cannot be one: no
 * scheme outside a page, a scheme other than http(s) or ws(s).
 */
export function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw invalidOptions(`url "${url}" is not a URL; give the server's tRPC endpoint, e.g. http://127.0.0.1:3000/trpc`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw invalidOptions(`url "${url}" must start with http://, https://, ws:// or wss://`);
  }
  return parsed.href.replace(/^ws/, 'http').replace(/\/+$/, '');
}

/** The transport asked for, or INVALID_OPTIONS naming the ones there are. */
export function checkedTransport(transport: string | undefined): Transport {
  if (transport === undefined) return 'auto';
  if ((transports as readonly string[]).includes(transport)) return transport as Transport;
  throw invalidOptions(`transport "${transport}" is not one of ${transports.map((name) => `'${name}'`).join(', ')}`);
}

/** Where Spool's router is mounted in an app's own (`'spool'`, `'api.spool'`): the prefix of its procedure paths. */
export function checkedPath(path: string | undefined): string {
  if (path === undefined || path === '') return '';
  if (!/^[\w-]+(\.[\w-]+)*$/.test(path)) {
    throw invalidOptions(`path "${path}" must be procedure path segments joined by dots, e.g. 'spool'`);
  }
  return `${path}.`;
}

export function invalidOptions(message: string): SpoolError {
  return new SpoolError(SpoolClientErrorCode.invalidOptions, message, { retryable: false });
}
