import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { generateSigningSecret, webhookCreateSchema, webhookSchema, type StoredEvent, type Webhook } from '@herald/shared';
import { activeSecrets, buildBody, buildRequest as build, USER_AGENT } from './request-builder';

function buildRequest(...args: Parameters<typeof build>) {
  const built = build(...args);
  if (!built.ok) throw new Error(built.reason);
  return built.request;
}

const NOW = Date.now();
const event: StoredEvent = {
  id: 'evt_abc',
  type: 'invoice.paid',
  data: { amount: 5 },
  tenant: 'acme',
  occurredAt: '2026-01-01T00:00:00.000Z',
  receivedAt: NOW,
};

function webhook(overrides: Record<string, unknown> = {}): Webhook {
  return webhookSchema.parse({
    ...webhookCreateSchema.parse({ url: 'https://example.com/hook', ...overrides }),
    id: 'wh_1',
    secret: generateSigningSecret(),
    previousSecrets: [],
    createdAt: 'x',
    updatedAt: 'x',
  });
}

describe('buildRequest', () => {
  it('sends the envelope with Standard Webhooks and Herald headers', () => {
    const hook = webhook();
    const request = buildRequest(hook, event, { deliveryId: 'evt_abc.wh_1', attempt: 2, nowMs: NOW });
    expect(JSON.parse(request.body)).toEqual({ id: 'evt_abc', type: 'invoice.paid', timestamp: event.occurredAt, tenant: 'acme', data: { amount: 5 } });
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': 'evt_abc',
      'webhook-timestamp': String(Math.floor(NOW / 1000)),
      'x-herald-event': 'invoice.paid',
      'x-herald-delivery-id': 'evt_abc.wh_1',
      'x-herald-attempt': '2',
    });
    expect(new StandardWebhook(hook.secret).verify(request.body, request.headers)).toBeTruthy();
    expect(request).toMatchObject({ url: 'https://example.com/hook', method: 'POST', timeoutMs: 10_000 });
  });

  it('adds bearer, api key and body HMAC authentication', () => {
    const ctx = { deliveryId: 'd', attempt: 1, nowMs: NOW };
    expect(buildRequest(webhook({ auth: { type: 'bearer', token: 'tok' } }), event, ctx).headers.authorization).toBe('Bearer tok');
    expect(buildRequest(webhook({ auth: { type: 'api_key', apiKey: 'k1', apiKeyHeader: 'X-Key' } }), event, ctx).headers['x-key']).toBe('k1');
    const hmac = buildRequest(webhook({ auth: { type: 'hmac', hmacSecret: 's'.repeat(16), hmacHeader: 'X-Sig' } }), event, ctx);
    expect(hmac.headers['x-sig']).toBe(`sha256=${createHmac('sha256', 's'.repeat(16)).update(hmac.body).digest('hex')}`);
  });

  it('keeps custom headers but never lets them duplicate or override Herald headers', () => {
    const request = buildRequest(webhook({ headers: { 'X-Team': 'payments', Authorization: 'Basic abc' }, auth: { type: 'bearer', token: 't' } }), event, {
      deliveryId: 'd', attempt: 1, nowMs: NOW,
    });
    expect(request.headers['x-team']).toBe('payments');
    expect(request.headers.authorization).toBe('Bearer t');
    expect(Object.keys(request.headers).filter((name) => name.toLowerCase() === 'authorization')).toEqual(['authorization']);
  });

  it('signs with rotated secrets until they expire', () => {
    const hook = { ...webhook(), previousSecrets: [{ secret: 'whsec_old', expiresAt: NOW + 1000 }, { secret: 'whsec_gone', expiresAt: NOW - 1 }] };
    expect(activeSecrets(hook, NOW)).toEqual([hook.secret, 'whsec_old']);
    const header = buildRequest(hook, event, { deliveryId: 'd', attempt: 1, nowMs: NOW }).headers['webhook-signature'];
    expect(header?.split(' ')).toHaveLength(2);
  });

  it('leaves the data out when includePayload is false', () => {
    const built = buildBody(webhook({ includePayload: false }), event);
    expect(built.ok).toBe(true);
    expect(built.ok && JSON.parse(built.body)).not.toHaveProperty('data');
  });

  it('sends an envelope over maxPayloadBytes without its data, and fails a template over it', () => {
    const big = { ...event, data: { blob: 'x'.repeat(500) } };
    const envelope = buildBody(webhook({ maxPayloadBytes: 200 }), big);
    expect(envelope.ok && JSON.parse(envelope.body)).toEqual({
      id: 'evt_abc', type: 'invoice.paid', timestamp: event.occurredAt, tenant: 'acme', dataOmitted: 'exceeds maxPayloadBytes',
    });
    expect(buildBody(webhook({ maxPayloadBytes: 200, template: '{"d": {{data}}}' }), big)).toEqual({
      ok: false, reason: expect.stringMatching(/more than maxPayloadBytes \(200\)/),
    });
  });

  it('renders the per-type template, the webhook template or a preset with its variables', () => {
    const hook = webhook({
      template: '{"generic": {{event}}}',
      eventTemplates: { 'invoice.*': 'pagerduty' },
      templateVars: { routingKey: 'rk-123' },
    });
    const pd = buildBody(hook, event);
    expect(pd.ok && JSON.parse(pd.body)).toMatchObject({ routing_key: 'rk-123', event_action: 'trigger', payload: { severity: 'error' } });
    const generic = buildBody(hook, { ...event, type: 'user.created' });
    expect(generic.ok && JSON.parse(generic.body)).toEqual({ generic: 'user.created' });
  });
});
