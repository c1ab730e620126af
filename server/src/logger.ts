import { type Logger, pino } from 'pino';

/**
 * JSON logs. Credentials never reach them: tRPC puts SSE `connectionParams` (tokens included) in the
 * URL, so request URLs are logged without their query string, and auth headers are redacted.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', 'token'], censor: '[redacted]' },
  });
}

/** A URL safe to log: path only. */
export function loggableUrl(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

export type { Logger };
