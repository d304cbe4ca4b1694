// Standard Webhooks signatures (https://www.standardwebhooks.com): the one place Herald signs and verifies them.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { constantTimeEqual, signingKey } from './secret';

/** HMAC keys by secret, so a worker decodes each secret once rather than on every delivery. */
const keys = new Map<string, KeyObject>();
const KEYS_KEPT = 10_000;

function hmacKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= KEYS_KEPT) keys.clear();
    key = createSecretKey(signingKey(secret));
    keys.set(secret, key);
  }
  return key;
}

export interface SignInput {
  /** The `webhook-id`: Herald's event id, the same on every attempt and replay. */
  msgId: string;
  /** The `webhook-timestamp`: unix seconds of this attempt. */
  timestampSec: number;
  /** The exact request body. */
  body: string;
  /** Every secret that signs: the current one, then those still in their rotation grace period. */
  secrets: readonly string[];
}

function signOne(secret: string, msgId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', hmacKey(secret)).update(`${msgId}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header value: one `v1,<base64>` per secret, space-separated. */
export function signStandardWebhook({ msgId, timestampSec, body, secrets }: SignInput): string {
  if (secrets.length === 0) throw new Error('at least one secret is needed to sign');
  return secrets.map((secret) => signOne(secret, msgId, timestampSec, body)).join(' ');
}

export interface VerifyInput {
  msgId: string;
  timestampSec: number;
  body: string;
  /** The `webhook-signature` header as received. */
  signatureHeader: string;
  secret: string;
  nowMs: number;
  /** How far the timestamp may be from now, in seconds. */
  toleranceSec?: number;
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'timestamp_out_of_tolerance' | 'no_matching_signature' };

/** Checks a received request the way a Standard Webhooks receiver does. */
export function verifyStandardWebhook(input: VerifyInput): VerifyResult {
  const tolerance = input.toleranceSec ?? 300;
  if (Math.abs(input.nowMs / 1000 - input.timestampSec) > tolerance) {
    return { ok: false, reason: 'timestamp_out_of_tolerance' };
  }
  const expected = signOne(input.secret, input.msgId, input.timestampSec, input.body);
  const matched = input.signatureHeader
    .split(' ')
    .filter((candidate) => candidate.startsWith('v1,'))
    .some((candidate) => constantTimeEqual(candidate, expected));
  return matched ? { ok: true } : { ok: false, reason: 'no_matching_signature' };
}
