import { SpoolErrorCode } from './errors.ts';

/** The close codes a Spool server ends a WebSocket with, so that clients can tell why. */
export const webSocketCloseCodes = {
  /** Authenticate again: a bad token, or one that has just expired. */
  unauthenticated: 4401,
  /** Too many connections for this user. */
  tooManyConnections: 4429,
  /** Standard "try again later": the server cannot check tokens right now. */
  tryAgainLater: 1013,
} as const;

const spoolCodeByCloseCode = new Map<number, SpoolErrorCode>([
  [webSocketCloseCodes.unauthenticated, SpoolErrorCode.unauthenticated],
  [webSocketCloseCodes.tooManyConnections, SpoolErrorCode.tooManyConnections],
  [webSocketCloseCodes.tryAgainLater, SpoolErrorCode.authUnavailable],
]);

/** The Spool error a WebSocket close code stands for; undefined for an ordinary close or a network failure. */
export function spoolCodeOfCloseCode(code: number): SpoolErrorCode | undefined {
  return spoolCodeByCloseCode.get(code);
}
