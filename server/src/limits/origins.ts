import type { IncomingMessage } from 'node:http';

/**
 * Whether a request may come from where it says: browsers send `Origin`, and only listed origins are
 * let in. No list: any. No `Origin` (a server, a CLI): allowed, since browsers always send one.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  return allowed === undefined || origin === undefined || allowed.includes(origin);
}
