// The token request of the client credentials grant (RFC 6749, section 4.4) for a webhook's oauth2
// settings, and what its answer means.
import { oauth2AuthMethod, type WebhookAuth } from '@herald/shared';
import type { HttpResult, OutboundRequest } from '../attempt/http-client';
import { clientAssertion } from './client-assertion';
import { PROXY_FAILED } from '../attempt/egress-proxy';

/** Bytes of a token endpoint's answer read; JWT access tokens run to a few KiB. */
export const TOKEN_RESPONSE_LIMIT = 64 * 1024;
/** A token whose answer gives no `expires_in` is kept this long. */
export const DEFAULT_TOKEN_LIFETIME_MS = 300_000;
/** The longest a token is kept, whatever its `expires_in`. */
const MAX_TOKEN_LIFETIME_MS = 86_400_000;

/** An oauth2 webhook's `auth`, its required fields present (the schema checked them when it was saved). */
export type OAuth2Settings = WebhookAuth & { type: 'oauth2'; tokenUrl: string; clientId: string };

/** Form values are encoded as application/x-www-form-urlencoded; Basic credentials are too, first (RFC 6749, 2.3.1). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

export function tokenRequest(auth: OAuth2Settings, options: { nowMs: number; timeoutMs: number; userAgent: string }): OutboundRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': options.userAgent,
  };
  const method = oauth2AuthMethod(auth);
  if (method === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(auth.clientId)}:${formEncode(auth.clientSecret ?? '')}`).toString('base64')}`;
  } else if (method === 'post') {
    form.set('client_id', auth.clientId);
    form.set('client_secret', auth.clientSecret ?? '');
  } else {
    form.set('client_id', auth.clientId);
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', clientAssertion({ clientId: auth.clientId, tokenUrl: auth.tokenUrl, privateKeyPem: auth.privateKeyJwt ?? '', nowMs: options.nowMs }));
  }
  if (auth.scope) form.set('scope', auth.scope);
  if (auth.audience) form.set('audience', auth.audience);
  for (const [name, value] of Object.entries(auth.extraParams ?? {})) form.set(name, value);
  return { url: auth.tokenUrl, method: 'POST', headers, body: form.toString(), timeoutMs: options.timeoutMs, bodyLimit: TOKEN_RESPONSE_LIMIT };
}

export type TokenOutcome =
  | { ok: true; accessToken: string; lifetimeMs: number }
  /** The token endpoint refused (4xx, or an answer that is no token): retrying will not help. */
  | { ok: false; kind: 'rejected'; reason: string }
  /** The token endpoint could not answer now (5xx, 408/429, network): worth another try later. */
  | { ok: false; kind: 'unavailable'; reason: string }
  /** The egress proxy failed on the way to the token endpoint: as for a delivery, no attempt is spent. */
  | { ok: false; kind: 'proxy'; reason: string };

const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** What a token endpoint's answer means; the reasons name the endpoint, never a credential. */
export function tokenOutcome(result: HttpResult, tokenUrl: string): TokenOutcome {
  const where = `token endpoint ${tokenUrl}`;
  if (result.kind === 'error') {
    if (result.code === PROXY_FAILED) return { ok: false, kind: 'proxy', reason: `${where}: ${result.message}` };
    const kind = result.code === 'TARGET_REFUSED' ? 'rejected' : 'unavailable';
    return { ok: false, kind, reason: `${where}: ${result.code}: ${result.message}` };
  }
  const status = result.statusCode;
  if (status >= 500 || RETRYABLE_STATUS.has(status)) return { ok: false, kind: 'unavailable', reason: `${where} answered HTTP ${status}` };
  if (status < 200 || status >= 300) {
    return { ok: false, kind: 'rejected', reason: `${where} answered HTTP ${status}${oauthError(result.body)}` };
  }
  let body: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(result.body) as typeof body;
  } catch {
    return { ok: false, kind: 'rejected', reason: `${where} answered HTTP ${status} without a JSON body` };
  }
  if (typeof body.access_token !== 'string' || body.access_token === '' || /[\r\n\0]/.test(body.access_token)) {
    return { ok: false, kind: 'rejected', reason: `${where} answered without a usable access_token` };
  }
  if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer') {
    return { ok: false, kind: 'rejected', reason: `${where} issued a ${body.token_type} token; only Bearer tokens are sent` };
  }
  const expiresIn = Number(body.expires_in);
  const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? Math.min(expiresIn * 1000, MAX_TOKEN_LIFETIME_MS) : DEFAULT_TOKEN_LIFETIME_MS;
  return { ok: true, accessToken: body.access_token, lifetimeMs };
}

/** The OAuth2 `error` code of a refusal, when the body says one (RFC 6749, 5.2): never its description, which may echo input. */
function oauthError(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    return typeof error === 'string' && /^[\x20-\x7e]{1,64}$/.test(error) ? ` (${error})` : '';
  } catch {
    return '';
  }
}
