// Payload filters through the API: refused at save with their path (create, PATCH, config apply),
// tried on an event (POST /v1/filters/test) and previewed on a webhook's recent events.
import request from './support/checked-request';
import { adminAuth, inProcessApi, type InProcessApi } from './support/in-process-api';

let api: InProcessApi;

beforeAll(() => {
  api = inProcessApi('filters');
});

afterAll(() => api.close());

const create = (body: Record<string, unknown>) => request(api.app).post('/v1/webhooks').set(adminAuth).send(body);
const patch = (id: string, body: Record<string, unknown>) => request(api.app).patch(`/v1/webhooks/${id}`).set(adminAuth).send(body);
const publish = (body: Record<string, unknown>) => request(api.app).post('/v1/events').set(adminAuth).send(body);

describe('saving a webhook with a filter', () => {
  it.each([
    [{ filter: { data: { amount: { $gte: true } } } }, 'filter.data.amount.$gte', 'must be a number or a string'],
    [{ filter: { data: { amount: { $between: [1, 2] } } } }, 'filter.data.amount.$between', expect.stringMatching(/^is not an operator \(known: /)],
    [{ filter: { data: { status: { $in: 'paid' } } } }, 'filter.data.status.$in', 'must be a list of strings, numbers, booleans or nulls'],
    [{ filter: { body: { a: 1 } } }, 'filter.body', expect.stringMatching(/^is not a field of the event/)],
    [{ filter: [] }, 'filter', expect.any(String)],
    [{ eventFilters: { 'order.*': { data: { sku: { $startsWith: 7 } } } } }, 'eventFilters.order.*.data.sku.$startsWith', 'must be a string'],
    [{ filter: { data: { s: { $in: Array.from({ length: 257 }, (_, i) => i) } } } }, 'filter.data.s.$in', 'must have at most 256 values'],
    [{ filter: { data: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } } }, 'filter', 'must not nest deeper than 8 levels'],
  ])('refuses %j on create and on PATCH, naming %s, and stores nothing', async (fields, field, message) => {
    const created = await create({ url: 'https://example.com/refused', ...fields });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ field, message }]);

    const existing = await create({ url: 'https://example.com/kept', filter: { type: 'order.paid' } });
    expect(existing.status).toBe(201);
    const patched = await patch(existing.body.id as string, fields);
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toEqual([{ field, message }]);
    // The webhook keeps the filter it had.
    const read = await request(api.app).get(`/v1/webhooks/${existing.body.id as string}`).set(adminAuth);
    expect(read.body.filter).toEqual({ type: 'order.paid' });
  });

  it('keeps a valid filter and eventFilters as sent, and PATCH null removes them', async () => {
    const filter = { data: { amount: { $gte: 100 }, status: { $in: ['paid', 'refunded'] } }, timestamp: { $gte: '2026-01-01T00:00:00Z' } };
    const eventFilters = { 'order.refunded': { data: { reason: { $contains: 'fraud' } } } };
    const created = await create({ url: 'https://example.com/kept', filter, eventFilters });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ filter, eventFilters });
    const cleared = await patch(created.body.id as string, { filter: null, eventFilters: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.filter).toBeUndefined();
    expect(cleared.body.eventFilters).toBeUndefined();
  });

  it('refuses a bad filter in POST /v1/config/apply with its path, and applies nothing', async () => {
    const response = await request(api.app)
      .post('/v1/config/apply')
      .set(adminAuth)
      .set('content-type', 'application/yaml')
      .send(['webhooks:', '  - name: filtered', '    tenant: config-filters', '    url: https://example.com/f', '    filter:', '      data:', '        amount: { $gte: [100] }'].join('\n'));
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'webhooks.0.filter.data.amount.$gte', message: 'must be a number or a string' }]);
    const listed = await request(api.app).get('/v1/webhooks?tenant=config-filters').set(adminAuth);
    expect(listed.body.data).toEqual([]);
  });

  it('applies a filter from config, reads it back unchanged, and applying it again changes nothing', async () => {
    const yaml = ['webhooks:', '  - name: filtered', '    tenant: config-filters-ok', '    url: https://example.com/f', '    filter:', '      data:', '        amount: { $gte: 100 }', '        tags: { $all: [vip] }'].join('\n');
    const apply = () => request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'application/yaml').send(yaml);
    expect((await apply()).body.created).toEqual(['filtered']);
    const listed = await request(api.app).get('/v1/webhooks?tenant=config-filters-ok').set(adminAuth);
    expect(listed.body.data[0].filter).toEqual({ data: { amount: { $gte: 100 }, tags: { $all: ['vip'] } } });
    expect((await apply()).body).toMatchObject({ created: [], updated: [], unchanged: ['filtered'] });
  });
});

describe('POST /v1/filters/test', () => {
  const test = (body: unknown) => request(api.app).post('/v1/filters/test').set(adminAuth).send(body as object);

  it('answers whether the event passes, and the first condition it fails', async () => {
    const filter = { data: { amount: { $gte: 100 } } };
    expect((await test({ filter, event: { type: 'order.paid', data: { amount: 150 } } })).body).toEqual({ matched: true });
    const refused = await test({ filter, event: { type: 'order.paid', data: { amount: 50 } } });
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ matched: false, failed: 'data.amount: 50 is not >= 100' });
    expect((await test({ filter, event: { type: 'order.paid', data: {} } })).body).toEqual({ matched: false, failed: 'data.amount: is missing' });
  });

  it('answers 400 naming the filter path or the event field', async () => {
    const bad = await test({ filter: { data: { amount: { $gte: 'x', $lt: null } } }, event: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'filter.data.amount.$lt', message: 'must be a number or a string' }]);
    const badEvent = await test({ filter: {}, event: { type: 'a', payload: 1 } });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.errors).toEqual([{ field: 'event.payload', message: 'is not a known field' }]);
    const missing = await test({});
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['event', 'filter']);
  });
});

describe('GET /v1/webhooks/:id/filter/preview', () => {
  it("runs the filter over the newest events of the webhook's tenant and types, with samples of each side", async () => {
    const tenant = 'preview';
    const hook = await create({ url: 'https://example.com/p', tenant, events: ['order.*'], filter: { data: { amount: { $gte: 100 } } } });
    const id = hook.body.id as string;
    // Older events, then the newest 6: 2 of them another type or tenant, which the preview skips.
    for (const amount of [500, 500]) await publish({ tenant, type: 'order.paid', data: { amount } });
    for (const amount of [10, 200, 20, 300]) await publish({ tenant, type: 'order.paid', data: { amount } });
    await publish({ tenant, type: 'user.created', data: { amount: 1000 } });
    await publish({ tenant: 'other', type: 'order.paid', data: { amount: 1000 } });

    const preview = await request(api.app).get(`/v1/webhooks/${id}/filter/preview?last=4`).set(adminAuth);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ events: 4, matched: 2, refused: 2 });
    expect(preview.body.samples.matched.map((e: { data: { amount: number } }) => e.data.amount)).toEqual([300, 200]);
    expect(preview.body.samples.refused).toMatchObject([
      { event: { data: { amount: 20 } }, failed: 'data.amount: 20 is not >= 100' },
      { event: { data: { amount: 10 } }, failed: 'data.amount: 10 is not >= 100' },
    ]);

    const all = await request(api.app).get(`/v1/webhooks/${id}/filter/preview`).set(adminAuth);
    expect(all.body).toMatchObject({ events: 6, matched: 4, refused: 2 });

    // A filter to try, before saving it.
    const tried = await request(api.app)
      .get(`/v1/webhooks/${id}/filter/preview`)
      .query({ filter: JSON.stringify({ data: { amount: { $lt: 100 } } }) })
      .set(adminAuth);
    expect(tried.body).toMatchObject({ events: 6, matched: 2, refused: 4 });
  });

  it('answers 400 for a bad last or filter, and 404 for an unknown webhook', async () => {
    const hook = await create({ url: 'https://example.com/p', tenant: 'preview-400' });
    const id = hook.body.id as string;
    const tooMany = await request(api.app).get(`/v1/webhooks/${id}/filter/preview?last=1001`).set(adminAuth);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([{ field: 'last', message: 'must be at most 1000' }]);
    const notJson = await request(api.app).get(`/v1/webhooks/${id}/filter/preview`).query({ filter: '{nope' }).set(adminAuth);
    expect(notJson.body.errors).toEqual([{ field: 'filter', message: 'is not valid JSON' }]);
    const invalid = await request(api.app).get(`/v1/webhooks/${id}/filter/preview`).query({ filter: '{"data":{"a":{"$gt":[]}}}' }).set(adminAuth);
    expect(invalid.body.errors).toEqual([{ field: 'filter.data.a.$gt', message: 'must be a number or a string' }]);
    const unknown = await request(api.app).get('/v1/webhooks/wh_nope/filter/preview').set(adminAuth);
    expect(unknown.status).toBe(404);
  });
});
