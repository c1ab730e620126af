import { SpoolErrorCode } from '@spool/shared';
import { createRemoteJWKSet, errors, type JWTVerifyOptions, type JWTVerifyResult, jwtVerify } from 'jose';
import { SpoolError } from '../errors.ts';

/** Who a request comes from. */
export interface Identity {
  userId: string;
  /** When the credential stops being valid (ms since the epoch); a WebSocket is closed then. */
  expiresAt: number | undefined;
}

export type AuthConfig =
  | { mode: 'development' }
  | {
      mode: 'jwt';
      /** HS256 shared secret. */
      secret: string | undefined;
      /** Or a JWKS URL (RS256, ES256). */
      jwksUrl: string | undefined;
      issuer: string | undefined;
      audience: string | undefined;
      clockToleranceS: number;
    };

export interface Authenticator {
  readonly mode: AuthConfig['mode'];
  /** The identity behind a bearer token; throws `UnauthenticatedError` for anything less than a valid one. */
  authenticate(token: string | undefined): Promise<Identity>;
}

class UnauthenticatedError extends SpoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(SpoolErrorCode.unauthenticated, message, options);
  }
}

/** The one user of the embedded development mode, when no authentication is configured. */
const developmentUserId = 'local';

export function createAuthenticator(config: AuthConfig): Authenticator {
  if (config.mode === 'development') {
    return { mode: 'development', authenticate: async () => ({ userId: developmentUserId, expiresAt: undefined }) };
  }
  const verify = verifierFor(config);
  return {
    mode: 'jwt',
    async authenticate(token) {
      if (!token) throw new UnauthenticatedError('a bearer token is required');
      try {
        const { payload } = await verify(token);
        if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('the token has no subject (sub)');
        // Valid as long as the check above would pass: `exp` plus the tolerance (`exp` is required).
        return { userId: payload.sub, expiresAt: ((payload.exp ?? 0) + config.clockToleranceS) * 1000 };
      } catch (error) {
        if (isKeySourceFailure(error)) {
          throw new SpoolError(SpoolErrorCode.authUnavailable, 'cannot check tokens right now; try again', {
            cause: error,
          });
        }
        // jose's messages say what was wrong (expired, signature, claim) without echoing the token.
        throw new UnauthenticatedError(`invalid token: ${error instanceof Error ? error.message : 'rejected'}`, {
          cause: error,
        });
      }
    },
  };
}

/** HS256 with the shared secret, or RS256/ES256 with keys from the JWKS URL (fetched and cached by jose). */
function verifierFor(config: Extract<AuthConfig, { mode: 'jwt' }>): (token: string) => Promise<JWTVerifyResult> {
  // An allowlist: the key type decides the algorithms, and `none` is never among them.
  const options: JWTVerifyOptions = {
    algorithms: config.secret ? ['HS256'] : ['RS256', 'ES256'],
    clockTolerance: config.clockToleranceS,
    // A token without an expiry would never expire, on a WebSocket least of all.
    requiredClaims: ['exp', 'sub'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  if (config.secret) {
    const secret = new TextEncoder().encode(config.secret);
    return (token) => jwtVerify(token, secret, options);
  }
  const keys = createRemoteJWKSet(new URL(config.jwksUrl ?? ''));
  return (token) => jwtVerify(token, keys, options);
}

/** The identity provider's keys could not be fetched (timeout, network): not the token's fault. */
function isKeySourceFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  return error instanceof Error && !(error instanceof errors.JOSEError);
}
