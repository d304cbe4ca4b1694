// Receivers: is this request a genuine delivery? Standard Webhooks signatures (the scheme the
// `standardwebhooks` and `svix` packages verify), checked in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors/webhook-verification-error';
import type { WebhookEvent } from './types';

export interface VerifyOptions {
  /**
   * How far `webhook-timestamp` may be from now, either way, in seconds: a replayed old delivery is refused.
   * @defaultValue 300
   */
  toleranceSeconds?: number;
  /**
   * The time to check against, in unix milliseconds.
   * @defaultValue Date.now()
   */
  nowMs?: number;
}

/** Request headers as Node (`req.headers`) or fetch (`request.headers`) has them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const DEFAULT_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a `whsec_<base64>` secret (the prefix may be left out). */
export function signingKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) throw new TypeError('the webhook secret must be "whsec_" followed by base64, as Herald shows it');
  return Buffer.from(encoded, 'base64');
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(' ') : value;
}

/** `webhook-*`, or the `svix-*` names of the same headers. */
function standardHeader(headers: WebhookHeaders, field: 'id' | 'timestamp' | 'signature'): string | undefined {
  return header(headers, `webhook-${field}`) ?? header(headers, `svix-${field}`);
}

function bytes(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Verifies a delivery and returns its parsed body. Throws a WebhookVerificationError when a header
 * is missing, the timestamp is outside the tolerance, no `v1` signature matches any of the secrets
 * (pass the old and the new one while you rotate), or the body is not JSON. Pass the body exactly
 * as received: a parsed and re-serialized body does not verify.
 */
export function verifyWebhook<T = WebhookEvent>(
  secret: string | readonly string[],
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  options: VerifyOptions = {},
): T {
  const keys = (typeof secret === 'string' ? [secret] : [...secret]).map(signingKey);
  if (keys.length === 0) throw new TypeError('verifyWebhook needs at least one secret');
  const id = standardHeader(headers, 'id');
  const timestamp = standardHeader(headers, 'timestamp');
  const signatures = standardHeader(headers, 'signature');
  if (!id || !timestamp || !signatures) {
    const missing = [!id && 'webhook-id', !timestamp && 'webhook-timestamp', !signatures && 'webhook-signature'].filter(Boolean).join(', ');
    throw new WebhookVerificationError(`missing header(s): ${missing}`, 'missing_headers');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not unix seconds', 'invalid_timestamp');
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = (options.nowMs ?? Date.now()) / 1000 - Number(timestamp);
  if (Math.abs(skew) > toleranceSeconds) {
    const which = skew > 0 ? 'too old' : 'in the future';
    throw new WebhookVerificationError(`webhook-timestamp is ${which} (more than ${toleranceSeconds} s away)`, 'timestamp_out_of_tolerance');
  }

  const body = bytes(rawBody);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const expected = keys.map((key) => createHmac('sha256', key).update(signed).digest());
  const candidates = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  const matches = candidates.some((candidate) => expected.some((digest) => candidate.length === digest.length && timingSafeEqual(candidate, digest)));
  if (!matches) throw new WebhookVerificationError('no signature matches the secret', 'invalid_signature');

  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new WebhookVerificationError('the body is not JSON', 'invalid_payload');
  }
}
