// Builds the outbound request of one attempt: body, Standard Webhooks signature, auth and headers.
import {
  defaultEnvelope,
  expandTemplate,
  renderTemplate,
  templateFor,
  type RenderResult,
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

/**
 * The request body: the webhook's template for this event type if it has one, else the default
 * envelope `{ id, type, timestamp, tenant, data }`. `includePayload: false` leaves the data out;
 * an envelope over `maxPayloadBytes` is sent without its data (marked `dataOmitted`), a template
 * over it cannot be cut and fails.
 */
export function buildBody(
  webhook: Pick<Webhook, 'includePayload' | 'maxPayloadBytes' | 'template' | 'eventTemplates' | 'templateVars'>,
  event: StoredEvent,
): RenderResult {
  const limit = webhook.maxPayloadBytes;
  const configured = templateFor(event.type, webhook.template, webhook.eventTemplates);
  if (configured === undefined) {
    const body = JSON.stringify(defaultEnvelope(event, webhook.includePayload));
    if (limit === undefined || Buffer.byteLength(body) <= limit) return { ok: true, body };
    return { ok: true, body: JSON.stringify({ ...defaultEnvelope(event, false), dataOmitted: 'exceeds maxPayloadBytes' }) };
  }
  const { text, defaultVars } = expandTemplate(configured);
  const result = renderTemplate(text, {
    event: webhook.includePayload ? event : { ...event, data: {} },
    vars: { ...defaultVars, ...webhook.templateVars },
  });
  if (result.ok && limit !== undefined && Buffer.byteLength(result.body) > limit) {
    return { ok: false, reason: `rendered body is ${Buffer.byteLength(result.body)} bytes, more than maxPayloadBytes (${limit})` };
  }
  return result.ok ? result : { ok: false, reason: `template failed: ${result.reason}` };
}

/** Secrets that sign now: the current one, then rotated ones still in their grace period. */
export function activeSecrets(webhook: Pick<Webhook, 'secret' | 'previousSecrets'>, nowMs: number): string[] {
  return [webhook.secret, ...webhook.previousSecrets.filter((p) => p.expiresAt > nowMs).map((p) => p.secret)];
}

/** The request of one attempt, or why none can be built (a template that does not render). */
export function buildRequest(
  webhook: Webhook,
  event: StoredEvent,
  context: AttemptContext,
): { ok: true; request: OutboundRequest } | { ok: false; reason: string } {
  const rendered = buildBody(webhook, event);
  if (!rendered.ok) return rendered;
  const body = rendered.body;
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
  const request: OutboundRequest = { url: webhook.url, method: webhook.method, headers, body, timeoutMs: webhook.timeoutMs };
  if (webhook.tls) {
    const { clientCert, clientKey, passphrase, ca } = webhook.tls;
    request.tls = { webhookId: webhook.id, version: webhook.updatedAt, cert: clientCert, key: clientKey, passphrase, ca, maxInFlight: webhook.maxInFlight };
  }
  return { ok: true, request };
}
