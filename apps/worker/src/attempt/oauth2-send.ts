// Sends a delivery of an oauth2 webhook: with the current access token, and once more with a new one
// when the endpoint answers 401 (a revoked or rotated token), within the same attempt.
import type { Webhook } from '@herald/shared';
import type { OAuth2Tokens, TokenGrant } from '../oauth2/oauth2-tokens';
import type { OAuth2Settings } from '../oauth2/token-request';
import { PROXY_FAILED } from './egress-proxy';
import { AUTH_REJECTED, AUTH_UNAVAILABLE, type HttpClient, type HttpResult, type OutboundRequest } from './http-client';

export interface Outbound {
  http: HttpClient;
  tokens: OAuth2Tokens;
}

/** The webhook's oauth2 settings, when it authenticates with OAuth2. */
export function oauth2Settings(webhook: Webhook): OAuth2Settings | undefined {
  const { auth } = webhook;
  return auth.type === 'oauth2' && auth.tokenUrl && auth.clientId ? (auth as OAuth2Settings) : undefined;
}

function withBearer(request: OutboundRequest, accessToken: string): OutboundRequest {
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${accessToken}` } };
}

function tokenFailure(grant: Extract<TokenGrant, { ok: false }>): HttpResult {
  const code = grant.kind === 'rejected' ? AUTH_REJECTED : grant.kind === 'proxy' ? PROXY_FAILED : AUTH_UNAVAILABLE;
  return { kind: 'error', code, message: grant.reason };
}

export async function sendWithToken(outbound: Outbound, auth: OAuth2Settings, request: OutboundRequest): Promise<HttpResult> {
  const grant = await outbound.tokens.get(auth, request.timeoutMs);
  if (!grant.ok) return tokenFailure(grant);
  const result = await outbound.http.send(withBearer(request, grant.accessToken));
  if (result.kind !== 'response' || result.statusCode !== 401) return result;
  await outbound.tokens.invalidate(auth, grant);
  const fresh = await outbound.tokens.get(auth, request.timeoutMs);
  if (!fresh.ok) return tokenFailure(fresh);
  return outbound.http.send(withBearer(request, fresh.accessToken));
}
