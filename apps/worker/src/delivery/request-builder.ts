// Builds the outbound request of one attempt: body, Standard Webhooks signature, auth and headers.
import {
  signBodyHmac,
  signStandardWebhook,
  type StoredEvent,
  type Webhook,
} from '@herald/shared';
import type { OutboundRequest } from './http-client';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };
export const USER_AGENT = `Herald/${version}`;

export interface AttemptContext {
  deliveryId: string;
  /** 1-based attempt number of this run of the delivery. */
  attempt: number;
  nowMs: number;
}

/** The default envelope: `{ id, type, timestamp, tenant, data }`. */
export function envelopeBody(event: StoredEvent, webhook: Pick<Webhook, 'includePayload'>): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.occurredAt,
    tenant: event.tenant,
    ...(webhook.includePayload ? { data: event.data } : {}),
  });
}

/** Secrets that sign now: the current one, then rotated ones still in their grace period. */
export function activeSecrets(webhook: Pick<Webhook, 'secret' | 'previousSecrets'>, nowMs: number): string[] {
  return [webhook.secret, ...webhook.previousSecrets.filter((p) => p.expiresAt > nowMs).map((p) => p.secret)];
}

export function buildRequest(webhook: Webhook, event: StoredEvent, context: AttemptContext): OutboundRequest {
  const body = envelopeBody(event, webhook);
  const timestampSec = Math.floor(context.nowMs / 1000);
  const headers: Record<string, string> = {
    ...webhook.headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': event.id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signStandardWebhook({
      msgId: event.id,
      timestampSec,
      body,
      secrets: activeSecrets(webhook, context.nowMs),
    }),
    'x-herald-event': event.type,
    'x-herald-delivery-id': context.deliveryId,
    'x-herald-attempt': String(context.attempt),
  };
  const auth = webhook.auth;
  if (auth.type === 'bearer' && auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.type === 'api_key' && auth.apiKey) headers[(auth.apiKeyHeader ?? 'x-api-key').toLowerCase()] = auth.apiKey;
  if (auth.type === 'hmac' && auth.hmacSecret) {
    headers[(auth.hmacHeader ?? 'x-herald-signature-256').toLowerCase()] = signBodyHmac(body, auth.hmacSecret, auth.hmacAlgorithm);
  }
  return { url: webhook.url, method: webhook.method, headers, body, timeoutMs: webhook.timeoutMs };
}
