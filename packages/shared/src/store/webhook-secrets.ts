// Which fields of a stored webhook document are secrets, and applying the SecretBox to them: the
// document is sealed in TypeScript before it is written and opened after it is read, so the Lua
// scripts that index webhooks never need the key (they read only tenant, events and enabled).
import type { SecretBox } from '../crypto/secret-box';

/** Secret fields of `auth` (bearer, API key, legacy HMAC, OAuth2) and of `tls` (mTLS). */
const AUTH_SECRETS = ['token', 'apiKey', 'hmacSecret', 'clientSecret', 'privateKeyJwt'] as const;
const TLS_SECRETS = ['clientKey', 'passphrase'] as const;

type Doc = Record<string, unknown>;

function mapFields(record: unknown, fields: readonly string[], change: (value: string) => string): unknown {
  if (typeof record !== 'object' || record === null) return record;
  const copy: Doc = { ...(record as Doc) };
  for (const field of fields) if (typeof copy[field] === 'string') copy[field] = change(copy[field]);
  return copy;
}

/** The document with `change` applied to every secret in it (signing secrets, rotated ones, credentials, keys). */
export function mapWebhookSecrets<T>(document: T, change: (value: string) => string): T {
  if (typeof document !== 'object' || document === null) return document;
  const doc: Doc = { ...(document as Doc) };
  if (typeof doc.secret === 'string') doc.secret = change(doc.secret);
  if (Array.isArray(doc.previousSecrets)) doc.previousSecrets = doc.previousSecrets.map((p: unknown) => mapFields(p, ['secret'], change));
  if ('auth' in doc) doc.auth = mapFields(doc.auth, AUTH_SECRETS, change);
  if ('tls' in doc) doc.tls = mapFields(doc.tls, TLS_SECRETS, change);
  return doc as T;
}

/** The document as it is stored: every secret sealed. */
export function sealWebhook<T>(document: T, box: SecretBox): T {
  return box.encrypts ? mapWebhookSecrets(document, (value) => box.seal(value)) : document;
}

/** The document as read: every secret opened (plain ones pass through). */
export function openWebhook<T>(document: T, box: SecretBox): T {
  return mapWebhookSecrets(document, (value) => box.open(value));
}

/** Whether every secret in a stored document is as sealing it now would write it. */
export function webhookSealedCurrently(document: unknown, box: SecretBox): boolean {
  let current = true;
  mapWebhookSecrets(document, (value) => {
    current &&= box.isCurrent(value);
    return value;
  });
  return current;
}
