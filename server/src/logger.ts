import { type Logger, pino } from 'pino';

/**
 * JSON logs. Credentials never reach them: tRPC puts SSE `connectionParams` (tokens included) in the
 * URL, so Spool logs no request URLs; auth headers and `token` fields are redacted should they appear.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', 'token'], censor: '[redacted]' },
  });
}

export type { Logger };
