import pino, { type DestinationStream, type Logger } from 'pino';

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
  // OAuth2 client credentials and the tokens they get; mTLS keys.
  'clientSecret',
  '*.clientSecret',
  'privateKeyJwt',
  '*.privateKeyJwt',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'tls',
  '*.tls',
  'clientKey',
  '*.clientKey',
  'passphrase',
  '*.passphrase',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers["webhook-signature"]',
  '*.headers["webhook-signature"]',
  // ioredis attaches the failed command, arguments included (webhook JSON with its secret), to errors.
  'err.command',
  '*.err.command',
];

/** Herald's pino logger: JSON lines with secrets censored; `destination` defaults to stdout. */
export function createLogger(options: { name: string; level: string }, destination?: DestinationStream): Logger {
  return pino(
    { name: options.name, level: options.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}

export type { Logger };
