import pino, { type Logger } from 'pino';

/** Paths pino censors wherever they occur: signing secrets, credentials and auth headers. */
export const REDACTED_PATHS = [
  'secret',
  '*.secret',
  '*.previousSecrets',
  'previousSecrets',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'hmacSecret',
  '*.hmacSecret',
  '*.auth',
  'auth',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers["webhook-signature"]',
  '*.headers["webhook-signature"]',
];

export function createLogger(options: { name: string; level: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}

export type { Logger };
