import { SignJWT } from 'jose';
import type { SpoolConfig } from '../../src/config.ts';

const testSecret = 'a-test-secret-of-at-least-32-characters!';
export const testAuth: Extract<SpoolConfig['auth'], { mode: 'jwt' }> = {
  mode: 'jwt',
  secret: testSecret,
  jwksUrl: undefined,
  issuer: 'spool-tests',
  audience: 'spool',
  clockToleranceS: 5,
};

/** Tokens expire exactly at `exp`: for tests of a token expiring mid-answer. */
export const strictAuth: typeof testAuth = { ...testAuth, clockToleranceS: 0 };

export interface TokenOptions {
  /** Seconds from now; negative: already expired. */
  expiresIn?: number;
  notBefore?: number;
  issuer?: string;
  audience?: string;
  secret?: string;
  /** Leave the claim out (a token must carry both). */
  without?: 'exp' | 'sub';
}

/** A signed HS256 token for `sub`, valid for the test server unless told otherwise. */
export async function tokenFor(sub: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(options.issuer ?? 'spool-tests')
    .setAudience(options.audience ?? 'spool')
    .setIssuedAt(now);
  if (options.without !== 'sub') jwt.setSubject(sub);
  if (options.without !== 'exp') jwt.setExpirationTime(now + (options.expiresIn ?? 300));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? testSecret));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsignedToken(sub: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub, iss: 'spool-tests', aud: 'spool', exp: now + 300 })}.`;
}
