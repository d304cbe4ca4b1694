import { toPublicWebhook, webhookCreateSchema, webhookSchema, webhookUpdateSchema } from './webhook';

const paths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  result.error?.issues.map((issue) => issue.path.join('.'));

describe('webhook schemas', () => {
  it('fills the documented defaults', () => {
    const webhook = webhookCreateSchema.parse({ url: 'https://example.com/hook' });
    expect(webhook).toMatchObject({
      tenant: 'default',
      events: ['*'],
      enabled: true,
      method: 'POST',
      timeoutMs: 10_000,
      includePayload: true,
      retry: { strategy: 'exponential', maxRetries: 3, initialDelayMs: 1000, backoffMultiplier: 2, jitter: 0.1 },
      auth: { type: 'none' },
    });
  });

  it('names the failing fields', () => {
    expect(paths(webhookCreateSchema.safeParse({ url: 'ftp://example.com' }))).toEqual(['url']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', events: ['Bad'] }))).toEqual(['events.0']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', auth: { type: 'bearer' } }))).toEqual(['auth.token']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', retry: { maxRetries: 50 } }))).toEqual(['retry.maxRetries']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', method: 'GET' }))).toEqual(['method']);
  });

  it('takes an ordering, onExhausted skip by default, and names what is wrong in it', () => {
    expect(webhookCreateSchema.parse({ url: 'https://x.io', ordering: { mode: 'fifo', key: 'data.order.id' } }).ordering).toEqual({ mode: 'fifo', key: 'data.order.id', onExhausted: 'skip' });
    expect(webhookCreateSchema.parse({ url: 'https://x.io', ordering: { mode: 'fifo', onExhausted: 'block' } }).ordering).toEqual({ mode: 'fifo', onExhausted: 'block' });
    expect(webhookCreateSchema.parse({ url: 'https://x.io', ordering: { mode: 'fifo', key: 'tenant' } }).ordering?.key).toBe('tenant');
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', ordering: { mode: 'lifo' } }))).toEqual(['ordering.mode']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', ordering: { mode: 'fifo', key: 'orderId' } }))).toEqual(['ordering.key']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', ordering: { mode: 'fifo', key: 'data.' } }))).toEqual(['ordering.key']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', ordering: { mode: 'fifo', key: 'data.constructor' } }))).toEqual(['ordering.key']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', ordering: { mode: 'fifo', onExhausted: 'wait' } }))).toEqual(['ordering.onExhausted']);
    expect(paths(webhookCreateSchema.safeParse({ url: 'https://x.io', ordering: { mode: 'fifo', extra: 1 } }))).toEqual(['ordering']);
    expect(webhookUpdateSchema.parse({ ordering: null }).ordering).toBeNull();
  });

  it('refuses custom headers that inject lines or override Herald headers', () => {
    expect(webhookCreateSchema.safeParse({ url: 'https://x.io', headers: { 'x-ok': 'fine' } }).success).toBe(true);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.io', headers: { 'x-bad': 'a\r\nx-evil: 1' } }).success).toBe(false);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.io', headers: { 'Webhook-Signature': 'v1,x' } }).success).toBe(false);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.io', headers: { 'X-Herald-Attempt': '9' } }).success).toBe(false);
  });

  it('accepts a partial update and rejects unknown fields', () => {
    expect(webhookUpdateSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(webhookUpdateSchema.safeParse({ secret: 'whsec_x' }).success).toBe(false);
  });

  it('shows no secret or credential publicly', () => {
    const webhook = webhookSchema.parse({
      ...webhookCreateSchema.parse({ url: 'https://x.io', auth: { type: 'bearer', token: 'super-secret-token' } }),
      id: 'wh_1',
      secret: 'whsec_abc',
      previousSecrets: [{ secret: 'whsec_old', expiresAt: 1 }],
      createdAt: 'now',
      updatedAt: 'now',
    });
    const shown = JSON.stringify(toPublicWebhook(webhook));
    expect(shown).not.toContain('whsec_');
    expect(shown).not.toContain('super-secret-token');
    expect(toPublicWebhook(webhook).auth).toEqual({ type: 'bearer' });
  });

  it('shows the HMAC algorithm only for HMAC authentication', () => {
    const shown = (auth: unknown) =>
      toPublicWebhook(webhookSchema.parse({ ...webhookCreateSchema.parse({ url: 'https://x.io', auth }), id: 'wh_1', secret: 'whsec_abc', createdAt: 'now', updatedAt: 'now' })).auth;
    expect(shown({ type: 'none' })).toEqual({ type: 'none' });
    expect(shown({ type: 'api_key', apiKey: 'k', apiKeyHeader: 'x-key' })).toEqual({ type: 'api_key', apiKeyHeader: 'x-key' });
    expect(shown({ type: 'hmac', hmacSecret: 's', hmacAlgorithm: 'sha512', hmacHeader: 'x-sig' })).toEqual({ type: 'hmac', hmacAlgorithm: 'sha512', hmacHeader: 'x-sig' });
  });
});
