// The signed JWT a client authenticates with under private_key_jwt (RFC 7523, section 2.2).
import { createPrivateKey, randomUUID, sign } from 'node:crypto';

/** Client assertions are good for this long: only for the token request they go with. */
const ASSERTION_LIFETIME_SECONDS = 60;

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A client assertion for `clientId` at `tokenUrl`, signed with `privateKeyPem` (RS256 for an RSA
 * key, ES256 for an EC P-256 key, as the webhook schema allows).
 */
export function clientAssertion(input: { clientId: string; tokenUrl: string; privateKeyPem: string; nowMs: number; jti?: string }): string {
  const key = createPrivateKey(input.privateKeyPem);
  const alg = key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const iat = Math.floor(input.nowMs / 1000);
  const claims = { iss: input.clientId, sub: input.clientId, aud: input.tokenUrl, jti: input.jti ?? randomUUID(), iat, exp: iat + ASSERTION_LIFETIME_SECONDS };
  const signingInput = `${base64url({ alg, typ: 'JWT' })}.${base64url(claims)}`;
  // ES256 wants the raw r‖s signature (ieee-p1363), not DER.
  const signature = sign('sha256', Buffer.from(signingInput), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${signingInput}.${signature.toString('base64url')}`;
}
