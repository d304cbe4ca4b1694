import type { Webhook } from '@herald/sdk/browser';
import { createBody, emptyForm, fieldForPath, formErrorsFromApi, formFromWebhook, splitEventTypes, updateBody } from './webhook-form';

const stored: Webhook = {
  id: 'wh_1',
  tenant: 'default',
  url: 'https://example.com/hook',
  description: 'orders',
  events: ['order.*', 'invoice.paid'],
  enabled: true,
  method: 'POST',
  headers: { 'x-team': '********' },
  auth: { type: 'bearer' },
  retry: { strategy: 'exponential', maxRetries: 3, initialDelayMs: 1000, backoffMultiplier: 2, maxDelayMs: 604_800_000, jitter: 0.1 },
  timeoutMs: 10_000,
  includePayload: true,
  rateLimit: { perSecond: 5, burst: 10 },
  circuit: { state: 'closed' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the create body', () => {
  it('is only what was typed: fields left as they were take the server\'s defaults', () => {
    expect(createBody({ ...emptyForm(), url: ' https://example.com/hook ' })).toEqual({ ok: true, body: { url: 'https://example.com/hook' } });
  });

  it('is what the form says, with each part only when filled or changed', () => {
    const built = createBody({
      ...emptyForm(), url: 'https://example.com/hook', events: 'order.*, invoice.paid,', maxRetries: '5', maxInFlight: '4', rateLimitPerSecond: '2',
      method: 'PUT', enabled: false, timeoutMs: '2500', failureThreshold: '3',
    });
    expect(built).toEqual({
      ok: true,
      body: {
        url: 'https://example.com/hook',
        events: ['order.*', 'invoice.paid'],
        enabled: false,
        method: 'PUT',
        retry: { maxRetries: 5 },
        rateLimit: { perSecond: 2 },
        circuitBreaker: { enabled: true, failureThreshold: 3 },
        timeoutMs: 2500,
        maxInFlight: 4,
      },
    });
    // A circuit breaker switched off is sent as such, alone.
    expect(createBody({ ...emptyForm(), url: 'https://x.test', circuitBreakerEnabled: false })).toEqual({ ok: true, body: { url: 'https://x.test', circuitBreaker: { enabled: false } } });
  });

  it('carries credentials, headers and a preset', () => {
    const built = createBody({ ...emptyForm(), url: 'https://x.test', authType: 'api_key', apiKey: 'k', headers: 'X-Team: billing\n\n', templateKind: 'slack' });
    expect(built.ok && built.body).toMatchObject({ auth: { type: 'api_key', apiKey: 'k' }, headers: { 'X-Team': 'billing' }, template: 'slack' });
  });

  it('refuses numbers that are not numbers and headers that are not "name: value", naming the field', () => {
    expect(createBody({ ...emptyForm(), url: 'https://x.test', maxRetries: 'three' })).toEqual({ ok: false, errors: { maxRetries: 'must be a number' } });
    expect(createBody({ ...emptyForm(), url: 'https://x.test', headers: 'no colon here' })).toEqual({ ok: false, errors: { headers: '"no colon here" is not "name: value"' } });
  });
});

describe('the update body', () => {
  it('is empty when nothing changed', () => {
    const initial = formFromWebhook(stored);
    expect(updateBody(stored, initial, initial)).toEqual({ ok: true, body: {} });
  });

  it('holds only what changed; nested objects whole; cleared optional fields as null', () => {
    const initial = formFromWebhook(stored);
    const built = updateBody(stored, initial, { ...initial, description: '', maxRetries: '5', rateLimitPerSecond: '', rateLimitBurst: '' });
    expect(built).toEqual({
      ok: true,
      body: { description: null, retry: { ...stored.retry, maxRetries: 5 }, rateLimit: null },
    });
  });

  it('sends auth only when its type changed or a credential was typed (stored ones are never shown)', () => {
    const initial = formFromWebhook(stored);
    expect(initial.authToken).toBe('');
    expect(updateBody(stored, initial, { ...initial, authToken: 'new-token' })).toEqual({ ok: true, body: { auth: { type: 'bearer', token: 'new-token' } } });
    expect(updateBody(stored, initial, { ...initial, authType: 'none' })).toEqual({ ok: true, body: { auth: { type: 'none' } } });
  });

  it('will not send masked header values back as if they were values', () => {
    const initial = formFromWebhook(stored);
    expect(initial.headers).toBe('x-team: ********');
    const built = updateBody(stored, initial, { ...initial, headers: 'x-team: ********\nx-more: 1' });
    expect(built.ok).toBe(false);
    expect(!built.ok && built.errors.headers).toMatch(/enter every header/);
  });
});

describe('API field errors', () => {
  it('land on the field they name, nested or indexed paths included', () => {
    expect(fieldForPath('url')).toBe('url');
    expect(fieldForPath('events.2')).toBe('events');
    expect(fieldForPath('retry.maxRetries')).toBe('maxRetries');
    expect(fieldForPath('auth.token')).toBe('authToken');
    expect(fieldForPath('headers.x-herald-event')).toBe('headers');
    expect(fieldForPath('circuitBreaker.cooldownMs')).toBe('cooldownMs');
    expect(fieldForPath('maxInFlight')).toBe('maxInFlight');
    expect(fieldForPath('colour')).toBeUndefined();
  });

  it('become the form\'s messages; those of no field are kept for the form as a whole', () => {
    expect(
      formErrorsFromApi([
        { field: 'url', message: 'must be an http or https URL' },
        { field: 'events.1', message: 'must be an event type' },
        { field: '(body)', message: 'is not valid JSON' },
      ]),
    ).toEqual({ url: 'must be an http or https URL', events: 'events.1: must be an event type', form: ['(body): is not valid JSON'] });
  });
});

it('splits comma-separated event types', () => {
  expect(splitEventTypes(' a.b ,, c.* ,*')).toEqual(['a.b', 'c.*', '*']);
});

describe('the Filter field', () => {
  const filter = { data: { amount: { $gte: 100 } } };

  it('sends the filter typed as JSON on create, and nothing when empty', () => {
    expect(createBody({ ...emptyForm(), url: 'https://example.com/hook', filter: JSON.stringify(filter) })).toEqual({
      ok: true,
      body: { url: 'https://example.com/hook', filter },
    });
    expect(createBody({ ...emptyForm(), url: 'https://example.com/hook', filter: '  ' })).toEqual({ ok: true, body: { url: 'https://example.com/hook' } });
  });

  it('starts from the stored filter; sends it when changed, null when cleared', () => {
    const withFilter = { ...stored, filter };
    const initial = formFromWebhook(withFilter);
    expect(JSON.parse(initial.filter)).toEqual(filter);
    expect(updateBody(withFilter, initial, initial)).toEqual({ ok: true, body: {} });
    const changed = { data: { amount: { $lt: 5 } } };
    expect(updateBody(withFilter, initial, { ...initial, filter: JSON.stringify(changed) })).toEqual({ ok: true, body: { filter: changed } });
    expect(updateBody(withFilter, initial, { ...initial, filter: '' })).toEqual({ ok: true, body: { filter: null } });
  });

  it('refuses text that is not a JSON object, before asking the API', () => {
    const notJson = createBody({ ...emptyForm(), url: 'https://example.com/hook', filter: '{"data": ' });
    expect(!notJson.ok && notJson.errors.filter).toMatch(/^is not valid JSON/);
    const list = createBody({ ...emptyForm(), url: 'https://example.com/hook', filter: '[1]' });
    expect(!list.ok && list.errors.filter).toMatch(/^must be a JSON object/);
  });

  it("shows the API's refusal beside it, with the path inside the filter", () => {
    expect(fieldForPath('filter.data.amount.$gte')).toBe('filter');
    expect(fieldForPath('eventFilters.order.*.data')).toBe('filter');
    expect(formErrorsFromApi([{ field: 'filter.data.amount.$gte', message: 'must be a number or a string' }])).toEqual({
      filter: 'filter.data.amount.$gte: must be a number or a string',
    });
  });
});

describe('the ordering fields', () => {
  it('send nothing when off, and the ordering chosen when FIFO (the key only when typed)', () => {
    expect(createBody({ ...emptyForm(), url: 'https://x.test' })).toEqual({ ok: true, body: { url: 'https://x.test' } });
    expect(createBody({ ...emptyForm(), url: 'https://x.test', orderingMode: 'fifo' })).toEqual({ ok: true, body: { url: 'https://x.test', ordering: { mode: 'fifo', onExhausted: 'skip' } } });
    const keyed = createBody({ ...emptyForm(), url: 'https://x.test', orderingMode: 'fifo', orderingKey: ' data.orderId ', orderingOnExhausted: 'block' });
    expect(keyed.ok && keyed.body.ordering).toEqual({ mode: 'fifo', key: 'data.orderId', onExhausted: 'block' });
  });

  it('start from the stored ordering; send it whole when changed, null when turned off', () => {
    const ordered: Webhook = { ...stored, ordering: { mode: 'fifo', key: 'data.orderId', onExhausted: 'block' } };
    const initial = formFromWebhook(ordered);
    expect(initial).toMatchObject({ orderingMode: 'fifo', orderingKey: 'data.orderId', orderingOnExhausted: 'block' });
    expect(formFromWebhook(stored)).toMatchObject({ orderingMode: 'off', orderingKey: '', orderingOnExhausted: 'skip' });
    expect(updateBody(ordered, initial, initial)).toEqual({ ok: true, body: {} });
    expect(updateBody(ordered, initial, { ...initial, orderingOnExhausted: 'skip' })).toEqual({ ok: true, body: { ordering: { mode: 'fifo', key: 'data.orderId', onExhausted: 'skip' } } });
    expect(updateBody(ordered, initial, { ...initial, orderingMode: 'off' })).toEqual({ ok: true, body: { ordering: null } });
  });

  it("show the API's refusal beside the field it names", () => {
    expect(fieldForPath('ordering.key')).toBe('orderingKey');
    expect(formErrorsFromApi([{ field: 'ordering.key', message: 'must be "tenant", "type" or a path under data' }])).toEqual({ orderingKey: 'must be "tenant", "type" or a path under data' });
    expect(fieldForPath('ordering')).toBe('orderingMode');
  });
});
