// The API in-process (createServer, supertest) against the run's real redis-server.
import request from './support/checked-request';
import type { Response } from 'supertest';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { type Queue } from 'bullmq';
import pino from 'pino';
import {
  PartitionDeadLetters,
  createDeliveryQueue,
  hashToken,
  redisKeys,
  PartitionLayout,
  type DeadLetter,
  type RedisKeys,
} from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { createServer } from '../src/server';
import { createApiMetrics } from '../src/metrics';
import type { ServerDeps } from '../src/server';
import { DeliveryQueues } from '../src/services/delivery-queues';

const TOKEN = 'api-test-token-0123456789';
const TENANT_A_TOKEN = 'tenant-a-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let redis: Redis;
let queue: Queue;
let queueConnection: Redis;
let keys: RedisKeys;
let app: Express;
let deps: ServerDeps;
let prefix: string;

beforeAll(async () => {
  prefix = uniquePrefix('api');
  keys = redisKeys(prefix);
  redis = new Redis(testRedisUrl());
  queueConnection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  queue = createDeliveryQueue(queueConnection, prefix);
  deps = {
    redis,
    layout: new PartitionLayout(prefix, 1),
    queues: new DeliveryQueues(new PartitionLayout(prefix, 1), [queue]),
    logger: pino({ level: 'silent' }),
    metrics: createApiMetrics(),
    adminToken: TOKEN,
    tenantTokens: new Map([[hashToken(TENANT_A_TOKEN), 'tenant-a']]),
    // The strict policy has its own test below; these tests use example.com without DNS.
    targetPolicy: { requireHttps: false, allowPrivate: true },
    streamMaxLen: 100_000,
    idempotencyTtlSeconds: 60,
  };
  app = createServer(deps);
});

afterAll(async () => {
  await queue.close();
  await queueConnection.quit();
  await redis.quit();
});

async function streamEntries(): Promise<[string, string[]][]> {
  return (await redis.xrange(keys.eventsStream, '-', '+')) as [string, string[]][];
}

describe('authentication', () => {
  it('refuses /v1 without a bearer token or with a wrong one, as problem+json', async () => {
    const missing = await request(app).get('/v1/webhooks');
    expect(missing.status).toBe(401);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect((await request(app).get('/v1/webhooks').set('authorization', 'Bearer nope')).status).toBe(401);
    expect((await request(app).get('/v1/webhooks').set(auth)).status).toBe(200);
  });

  it('serves health and metrics without a token', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).body).toMatchObject({ status: 'ready' });
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toContain('herald_events_ingested_total');
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
  });
});

describe('POST /v1/events', () => {
  it('appends a valid event to the stream and answers 202 with its id', async () => {
    const before = (await streamEntries()).length;
    const response = await request(app).post('/v1/events').set(auth).send({ type: 'order.created', data: { total: 12 } });
    expect(response.status).toBe(202);
    expect(response.body.id).toMatch(/^evt_/);
    const entries = await streamEntries();
    expect(entries).toHaveLength(before + 1);
    const fields = entries.at(-1)?.[1] ?? [];
    expect(fields).toContain(response.body.id);
    expect(JSON.parse(fields[fields.indexOf('event') + 1] as string)).toMatchObject({
      type: 'order.created', data: { total: 12 }, tenant: 'default',
    });
  });

  it('answers 400 naming each failing field, and appends nothing', async () => {
    const before = (await streamEntries()).length;
    const response = await request(app).post('/v1/events').set(auth).send({ type: 'Not Valid', data: 'x', colour: 'red' });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    const fields = (response.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['colour', 'data', 'type']);
    expect((await streamEntries()).length).toBe(before);
  });

  it('answers 400 for malformed JSON and for a non-object body', async () => {
    const malformed = await request(app).post('/v1/events').set(auth).set('content-type', 'application/json').send('{"type":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.title).toBe('Malformed JSON');
    const array = await request(app).post('/v1/events').set(auth).send([1, 2]);
    expect(array.status).toBe(400);
  });

  it('answers 400, not 500, for data nested too deep to re-serialize safely', async () => {
    const nested = (depth: number) => {
      let data: Record<string, unknown> = { leaf: true };
      for (let i = 0; i < depth; i++) data = { d: data };
      return data;
    };
    const deep = await request(app).post('/v1/events').set(auth).send({ type: 'deep.one', data: nested(100) });
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0]).toMatchObject({ field: 'data', message: expect.stringMatching(/nest deeper/) });
    expect((await request(app).post('/v1/events').set(auth).send({ type: 'deep.one', data: nested(5000) })).status).toBe(400);
    expect((await request(app).post('/v1/events').set(auth).send({ type: 'deep.one', data: nested(50) })).status).toBe(202);
  });

  it('answers 400 for a malformed percent-escape in the path', async () => {
    const response = await request(app).get('/v1/webhooks/%E0%A4%A').set(auth);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });

  it('answers 413 above 1 MiB', async () => {
    const response = await request(app).post('/v1/events').set(auth).send({ type: 'big.one', data: { blob: 'x'.repeat(1_100_000) } });
    expect(response.status).toBe(413);
    expect(response.body.status).toBe(413);
  });

  it('accepts the same idempotency key once, by body id or header, per tenant', async () => {
    const first = await request(app).post('/v1/events').set(auth).send({ type: 'pay.done', id: 'idem-1' });
    const again = await request(app).post('/v1/events').set(auth).send({ type: 'pay.done', id: 'idem-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id: first.body.id, duplicate: true });

    const viaHeader = await request(app).post('/v1/events').set(auth).set('idempotency-key', 'idem-1').send({ type: 'pay.done' });
    expect(viaHeader.body).toEqual({ id: first.body.id, duplicate: true });

    const otherTenant = await request(app).post('/v1/events').set(auth).send({ type: 'pay.done', id: 'idem-1', tenant: 'other' });
    expect(otherTenant.body.duplicate).toBe(false);
    const stored = (await streamEntries()).filter(([, f]) => f.includes(first.body.id) || f.includes(otherTenant.body.id));
    expect(stored).toHaveLength(2);
  });
});

describe('POST /v1/events/batch', () => {
  it('accepts up to 1000 events in order, de-duplicating keys inside the batch', async () => {
    const before = (await streamEntries()).length;
    const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'batch.item', data: { i } }));
    events[999] = { type: 'batch.item', data: { i: 999 }, id: 'dup-key' } as (typeof events)[number];
    events[998] = { type: 'batch.item', data: { i: 998 }, id: 'dup-key' } as (typeof events)[number];
    const response = await request(app).post('/v1/events/batch').set(auth).send({ events });
    expect(response.status).toBe(202);
    expect(response.body.events).toHaveLength(1000);
    expect(response.body.events[999]).toEqual({ id: response.body.events[998].id, duplicate: true });
    expect((await streamEntries()).length).toBe(before + 999);
  });

  it('refuses more than 1000 events, and names the failing event field', async () => {
    const tooMany = await request(app).post('/v1/events/batch').set(auth).send({ events: Array.from({ length: 1001 }, () => ({ type: 'a.b' })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].field).toBe('events');
    const bad = await request(app).post('/v1/events/batch').set(auth).send({ events: [{ type: 'a.b' }, { type: 'a.b' }, { type: 'A' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'events.2.type' })]);
  });
});

describe('webhooks', () => {
  it('creates (secret shown once), lists and reads without secrets, updates and deletes', async () => {
    const created = await request(app)
      .post('/v1/webhooks')
      .set(auth)
      .send({
        url: 'https://example.com/hook',
        events: ['order.*'],
        auth: { type: 'bearer', token: 'tok-secret-value' },
        headers: { 'X-Api-Key': 'header-secret-value' },
      });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^wh_/);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.headers.location).toBe(`/v1/webhooks/${created.body.id}`);
    const id = created.body.id as string;

    const list = await request(app).get('/v1/webhooks').set(auth);
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toMatch(/whsec_|tok-secret-value|header-secret-value/);

    const read = await request(app).get(`/v1/webhooks/${id}`).set(auth);
    expect(read.body).toMatchObject({
      id, url: 'https://example.com/hook', events: ['order.*'], auth: { type: 'bearer' }, headers: { 'x-api-key': '********' },
    });
    expect(JSON.stringify(read.body)).not.toMatch(/tok-secret-value|header-secret-value/);
    expect(read.body.secret).toBeUndefined();

    const patched = await request(app).patch(`/v1/webhooks/${id}`).set(auth).send({ enabled: false, description: 'paused' });
    expect(patched.body).toMatchObject({ enabled: false, description: 'paused', events: ['order.*'] });
    const stored = JSON.parse((await redis.hget(keys.webhooks, id)) as string);
    expect(stored).toMatchObject({ enabled: false, description: 'paused', headers: { 'x-api-key': 'header-secret-value' } });
    const cleared = await request(app).patch(`/v1/webhooks/${id}`).set(auth).send({ description: null });
    expect(cleared.body).not.toHaveProperty('description');

    expect((await request(app).delete(`/v1/webhooks/${id}`).set(auth)).status).toBe(204);
    expect((await request(app).get(`/v1/webhooks/${id}`).set(auth)).status).toBe(404);
    expect((await request(app).delete(`/v1/webhooks/${id}`).set(auth)).status).toBe(404);
  });

  it('forgets an open circuit when its breaker is switched off, keeping the failure streak', async () => {
    const created = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/breaker' });
    const id = created.body.id as string;
    await redis.hset(keys.circuit(id), 'state', 'open', 'openUntil', Date.now() + 60_000, 'failures', 7, 'firstFailureAt', 1);
    await redis.sadd(keys.openCircuits, id);

    const patched = await request(app).patch(`/v1/webhooks/${id}`).set(auth).send({ circuitBreaker: { enabled: false } });
    expect(patched.status).toBe(200);
    expect(await redis.hgetall(keys.circuit(id))).toEqual({ failures: '7', firstFailureAt: '1' });
    expect(await redis.sismember(keys.openCircuits, id)).toBe(0);
  });

  it('checks templates at creation and masks template variables', async () => {
    const bad = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/t', template: '{"x": {{process.env}}}' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'template', message: expect.stringMatching(/unknown placeholder/) });
    const notJson = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/t', eventTemplates: { 'a.*': '{"x": ' } });
    expect(notJson.body.errors[0].field).toBe('eventTemplates.a.*');
    const missingVar = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/t', template: 'pagerduty' });
    expect(missingVar.body.errors[0]).toMatchObject({ field: 'templateVars.routingKey', message: 'is required by the pagerduty preset' });
    const reserved = await request(app).post('/v1/events').set(auth).send({ type: 'webhook.disabled' });
    expect(reserved.body.errors[0]).toMatchObject({ field: 'type', message: expect.stringMatching(/reserved/) });
    const good = await request(app)
      .post('/v1/webhooks')
      .set(auth)
      .send({ url: 'https://example.com/t', template: 'pagerduty', templateVars: { routingKey: 'pd-secret-key' } });
    expect(good.status).toBe(201);
    expect(good.body.templateVars).toEqual({ routingKey: '********' });
  });

  it('gives new webhooks the configured retry and timeout defaults, merged under what they set', async () => {
    const configured = createServer({
      ...deps,
      webhookDefaults: { retry: { strategy: 'schedule', delaysMs: [60_000, 300_000], jitter: 0 }, timeoutMs: 3000 },
    });
    const plain = await request(configured).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/d' });
    expect(plain.body).toMatchObject({ timeoutMs: 3000, retry: { strategy: 'schedule', delaysMs: [60_000, 300_000], maxRetries: 2, jitter: 0 } });
    const own = await request(configured).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/d', retry: { maxRetries: 1 }, timeoutMs: 500 });
    expect(own.body).toMatchObject({ timeoutMs: 500, retry: { strategy: 'schedule', maxRetries: 1 } });
    const exponential = await request(configured).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/d', retry: { strategy: 'exponential' } });
    expect(exponential.body.retry.strategy).toBe('exponential');
  });

  it('says what a new webhook gets for the fields it leaves out: the configured defaults, as creating one applies them', async () => {
    const configured = createServer({ ...deps, webhookDefaults: { retry: { maxRetries: 6, initialDelayMs: 30_000, jitter: 0 }, timeoutMs: 2500 } });
    const defaults = await request(configured).get('/v1/webhooks/defaults').set(auth);
    expect(defaults.status).toBe(200);
    expect(defaults.body).toEqual({
      tenant: 'default',
      events: ['*'],
      enabled: true,
      method: 'POST',
      retry: { strategy: 'exponential', maxRetries: 6, initialDelayMs: 30_000, backoffMultiplier: 2, maxDelayMs: 604_800_000, jitter: 0 },
      timeoutMs: 2500,
      includePayload: true,
    });
    const created = await request(configured).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/defaults' });
    expect(created.body).toMatchObject({ retry: defaults.body.retry, timeoutMs: 2500, events: ['*'], method: 'POST' });
    // Without configuration, the built-in ones; no "defaults" webhook is looked for.
    expect((await request(app).get('/v1/webhooks/defaults').set(auth)).body).toMatchObject({ retry: { maxRetries: 3, initialDelayMs: 1000 }, timeoutMs: 10_000 });
  });

  it('answers 400 naming fields for a bad webhook', async () => {
    const response = await request(app).post('/v1/webhooks').set(auth).send({ url: 'not a url', events: [], timeoutMs: 5 });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['events', 'timeoutMs', 'url']);
    const patch = await request(app).patch('/v1/webhooks/wh_missing').set(auth).send({ retry: { maxRetries: -1 } });
    expect(patch.status).toBe(400);
    expect(patch.body.errors[0].field).toBe('retry.maxRetries');
  });
});

describe('dead letters', () => {
  it('lists with filters, replays as fresh jobs with the same delivery id, and purges', async () => {
    const webhook = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/dl' });
    const store = new PartitionDeadLetters(redis, keys);
    const make = (n: number, type: string): DeadLetter => ({
      id: `evt_dl${n}.${webhook.body.id}`,
      webhookId: webhook.body.id,
      tenant: 'default',
      event: { id: `evt_dl${n}`, type, data: { n }, tenant: 'default', occurredAt: new Date().toISOString(), receivedAt: Date.now() },
      attempts: 4,
      lastError: 'HTTP 500',
      lastStatusCode: 500,
      deadLetteredAt: new Date(Date.now() - (10 - n) * 1000).toISOString(),
      replays: 0,
    });
    const pipeline = redis.pipeline();
    for (let n = 1; n <= 3; n++) store.addTo(pipeline, make(n, n === 3 ? 'other.type' : 'dl.type'));
    await pipeline.exec();

    const all = await request(app).get(`/v1/dead-letters?webhookId=${webhook.body.id}`).set(auth);
    expect(all.body.data.map((d: DeadLetter) => d.id)).toEqual([3, 2, 1].map((n) => `evt_dl${n}.${webhook.body.id}`));
    const typed = await request(app).get(`/v1/dead-letters?webhookId=${webhook.body.id}&type=dl.type`).set(auth);
    expect(typed.body.data).toHaveLength(2);
    expect((await request(app).get('/v1/dead-letters?limit=0').set(auth)).status).toBe(400);

    const replay = await request(app)
      .post('/v1/dead-letters/replay')
      .set(auth)
      .send({ ids: [`evt_dl1.${webhook.body.id}`, 'evt_nope.wh_nope'] });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ replayed: [`evt_dl1.${webhook.body.id}`], skipped: [{ id: 'evt_nope.wh_nope', reason: 'not found' }] });
    const job = await queue.getJob(`evt_dl1.${webhook.body.id}.r1`);
    // A dead letter stored with its event inline (as an older Herald did) is replayed with its event.
    expect(job?.data).toMatchObject({ deliveryId: `evt_dl1.${webhook.body.id}`, replay: 1, event: { id: 'evt_dl1', data: { n: 1 } } });
    expect(job?.opts.attempts).toBe(4);

    const byFilter = await request(app).post('/v1/dead-letters/replay').set(auth).send({ webhookId: webhook.body.id, type: 'other.type' });
    expect(byFilter.body.replayed).toEqual([`evt_dl3.${webhook.body.id}`]);

    expect((await request(app).delete(`/v1/dead-letters/evt_dl2.${webhook.body.id}`).set(auth)).status).toBe(204);
    const left = await request(app).get(`/v1/dead-letters?webhookId=${webhook.body.id}`).set(auth);
    expect(left.body.data).toEqual([]);
    expect((await request(app).post('/v1/dead-letters/replay').set(auth).send({})).status).toBe(202);
    expect((await request(app).post('/v1/dead-letters/replay').set(auth).send({ ids: [] })).status).toBe(400);
  });

  it('pages through dead letters that share a millisecond without skipping or repeating any', async () => {
    const webhook = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/ties' });
    const store = new PartitionDeadLetters(redis, keys);
    const at = new Date().toISOString();
    const pipeline = redis.pipeline();
    const ids: string[] = [];
    for (let n = 0; n < 1203; n++) {
      const id = `evt_tie${String(n).padStart(4, '0')}.${webhook.body.id}`;
      ids.push(id);
      store.addTo(pipeline, {
        id, webhookId: webhook.body.id, tenant: 'default', attempts: 1, lastError: 'HTTP 400', deadLetteredAt: at, replays: 0,
        event: { id: `evt_tie${n}`, type: 'tie.type', data: {}, tenant: 'default', occurredAt: at, receivedAt: 0 },
      });
    }
    await pipeline.exec();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await request(app)
        .get(`/v1/dead-letters?webhookId=${webhook.body.id}&limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .set(auth);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((d: DeadLetter) => d.id));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toHaveLength(1203);
    expect(new Set(seen).size).toBe(1203);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect((await request(app).get('/v1/dead-letters?cursor=garbage').set(auth)).status).toBe(400);
  });

  it('keeps dead letters whose webhook is disabled or deleted instead of replaying them into nothing', async () => {
    const store = new PartitionDeadLetters(redis, keys);
    const disabled = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/off', enabled: false });
    const at = new Date().toISOString();
    const make = (webhookId: string, n: number): DeadLetter => ({
      id: `evt_keep${n}.${webhookId}`, webhookId, tenant: 'default', attempts: 1, lastError: 'HTTP 500', deadLetteredAt: at, replays: 0,
      event: { id: `evt_keep${n}`, type: 'keep.type', data: {}, tenant: 'default', occurredAt: at, receivedAt: 0 },
    });
    const pipeline = redis.pipeline();
    store.addTo(pipeline, make(disabled.body.id, 1));
    store.addTo(pipeline, make('wh_deleted', 2));
    await pipeline.exec();
    const response = await request(app).post('/v1/dead-letters/replay').set(auth).send({ type: 'keep.type' });
    expect(response.body).toEqual({
      replayed: [],
      skipped: expect.arrayContaining([
        { id: `evt_keep1.${disabled.body.id}`, reason: 'webhook disabled' },
        { id: 'evt_keep2.wh_deleted', reason: 'webhook deleted' },
      ]),
    });
    expect(await store.getMany([`evt_keep1.${disabled.body.id}`, 'evt_keep2.wh_deleted'])).toHaveLength(2);
  });

  it('replays thousands in batches while the API keeps answering', async () => {
    const webhook = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/bulk' });
    const store = new PartitionDeadLetters(redis, keys);
    const at = new Date().toISOString();
    const pipeline = redis.pipeline();
    for (let n = 0; n < 3000; n++) {
      store.addTo(pipeline, {
        id: `evt_bulk${n}.${webhook.body.id}`, webhookId: webhook.body.id, tenant: 'default', attempts: 1, lastError: 'HTTP 500',
        deadLetteredAt: at, replays: 0, event: { id: `evt_bulk${n}`, type: 'bulk.type', data: { n }, tenant: 'default', occurredAt: at, receivedAt: 0 },
      });
    }
    await pipeline.exec();
    let replayDone = false;
    const replay = request(app).post('/v1/dead-letters/replay').set(auth).send({ webhookId: webhook.body.id }).then((response) => {
      replayDone = true;
      return response;
    });
    let answeredMeanwhile = 0;
    while (!replayDone) {
      const health = await request(app).get('/healthz');
      if (health.status === 200 && !replayDone) answeredMeanwhile += 1;
    }
    const response = await replay;
    expect(response.body.replayed).toHaveLength(3000);
    expect(answeredMeanwhile).toBeGreaterThan(0);
    expect(await queue.getJob(`evt_bulk2999.${webhook.body.id}.r1`)).toBeTruthy();
    expect((await store.list({ webhookId: webhook.body.id }, 10)).data).toEqual([]);
  });

  it('removes a replayed dead letter only if it was not re-parked meanwhile', async () => {
    const store = new PartitionDeadLetters(redis, keys);
    const at = new Date().toISOString();
    const base = {
      webhookId: 'wh_x', tenant: 'default', attempts: 1, lastError: 'HTTP 400', deadLetteredAt: at,
      event: { id: 'evt_race', type: 'race.type', data: {}, tenant: 'default', occurredAt: at, receivedAt: 0 },
    };
    const pipeline = redis.pipeline();
    store.addTo(pipeline, { ...base, id: 'evt_race.wh_x', replays: 1 }); // already failed again after replay 0 → 1
    store.addTo(pipeline, { ...base, id: 'evt_calm.wh_x', replays: 0 });
    await pipeline.exec();
    const replayed = [{ id: 'evt_race.wh_x', replays: 0 }, { id: 'evt_calm.wh_x', replays: 0 }].map((d) => ({ ...d, webhookId: 'wh_x', tenant: 'default' }));
    expect(await store.removeReplayed(replayed)).toBe(1);
    expect((await store.getMany(['evt_race.wh_x', 'evt_calm.wh_x'])).map((d) => d.id)).toEqual(['evt_race.wh_x']);
    expect(await redis.zrange(keys.deadLettersOfWebhook('wh_x'), 0, -1)).toEqual(['evt_race.wh_x']);
    expect(await redis.zscore(keys.deadLettersOfTenant('default'), 'evt_calm.wh_x')).toBeNull();
  });

  it('filters by webhook and tenant through their own indexes, built for dead letters parked before them', async () => {
    const own = redisKeys(uniquePrefix('api-dead-letter-indexes'));
    const store = new PartitionDeadLetters(redis, own);
    const at = Date.now();
    const park = (n: number, webhookId: string, tenant: string): DeadLetter => ({
      id: `evt_i${n}.${webhookId}`, webhookId, tenant, attempts: 1, lastError: 'HTTP 500', replays: 0,
      deadLetteredAt: new Date(at + n).toISOString(),
      event: { id: `evt_i${n}`, type: 'index.type', data: {}, tenant, occurredAt: new Date(at).toISOString(), receivedAt: at },
    });
    const all = [park(1, 'wh_a', 'tenant-a'), park(2, 'wh_b', 'tenant-b'), park(3, 'wh_a', 'tenant-a'), park(4, 'wh_c', 'tenant-a')];
    // Parked the way Herald did before the per-webhook and per-tenant indexes existed.
    const old = redis.pipeline();
    for (const d of all) old.hset(own.deadLetters, d.id, JSON.stringify(d)).zadd(own.deadLettersByTime, Date.parse(d.deadLetteredAt), d.id);
    // One being removed (its document still there, its time gone), one re-parked later than its document says.
    old.hset(own.deadLetters, 'evt_i9.wh_a', JSON.stringify(park(9, 'wh_a', 'tenant-a')));
    old.zadd(own.deadLettersByTime, at + 100, 'evt_i4.wh_c');
    await old.exec();
    const listed = async (filter: { webhookId?: string; tenant?: string }) => (await store.list(filter, 10)).data.map((d) => d.id);

    // Before the indexes are built, the filters still work, from the index of all dead letters.
    expect(await listed({ webhookId: 'wh_a' })).toEqual(['evt_i3.wh_a', 'evt_i1.wh_a']);
    expect(await store.buildIndexes()).toBe(4);
    expect(await store.buildIndexes()).toBe(0);
    expect(await redis.zrange(own.deadLettersOfWebhook('wh_a'), 0, -1)).toEqual(['evt_i1.wh_a', 'evt_i3.wh_a']);
    expect(await redis.zrange(own.deadLettersOfTenant('tenant-a'), 0, -1)).toEqual(['evt_i1.wh_a', 'evt_i3.wh_a', 'evt_i4.wh_c']);
    expect(await redis.zscore(own.deadLettersOfWebhook('wh_c'), 'evt_i4.wh_c')).toBe(String(at + 100));

    // Once built, a filter reads only its index: an entry only in the index of all is not seen.
    await redis.zadd(own.deadLettersByTime, at + 5, 'evt_i5.wh_a');
    await redis.hset(own.deadLetters, 'evt_i5.wh_a', JSON.stringify(park(5, 'wh_a', 'tenant-a')));
    expect(await listed({ webhookId: 'wh_a' })).toEqual(['evt_i3.wh_a', 'evt_i1.wh_a']);
    expect(await listed({ tenant: 'tenant-a' })).toEqual(['evt_i4.wh_c', 'evt_i3.wh_a', 'evt_i1.wh_a']);
    expect(await listed({ tenant: 'tenant-a', webhookId: 'wh_c' })).toEqual(['evt_i4.wh_c']);

    expect(await store.remove([all[0] as DeadLetter])).toBe(1);
    expect(await listed({ webhookId: 'wh_a' })).toEqual(['evt_i3.wh_a']);
    expect(await redis.zrange(own.deadLettersOfTenant('tenant-a'), 0, -1)).toEqual(['evt_i3.wh_a', 'evt_i4.wh_c']);
  });
});

describe('unknown routes', () => {
  it('answer 404 problem+json', async () => {
    const response = await request(app).get('/v1/nothing-here').set(auth);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe('outbound URL safety', () => {
  it('refuses non-public targets and, in production, plain http', async () => {
    const strictApp = createServer({
      ...deps,
      targetPolicy: { requireHttps: true, allowPrivate: false },
    });
    const create = (url: string) => request(strictApp).post('/v1/webhooks').set(auth).send({ url });
    for (const url of ['https://127.0.0.1/hook', 'https://localhost:8443/hook', 'https://[::1]/x', 'https://10.0.0.8/x']) {
      const response = await create(url);
      expect(response.status).toBe(400);
      expect(response.body.errors[0]).toMatchObject({ field: 'url', message: expect.stringMatching(/not public/) });
    }
    expect((await create('http://8.8.8.8/hook')).body.errors[0].message).toMatch(/https/);
    expect((await create('https://8.8.8.8/hook')).status).toBe(201);
    const created = await create('https://8.8.4.4/hook');
    const moved = await request(strictApp).patch(`/v1/webhooks/${created.body.id}`).set(auth).send({ url: 'https://192.168.0.10/' });
    expect(moved.status).toBe(400);
  });

  it('refuses cloud metadata services even with private targets allowed', async () => {
    // `app` allows private targets (HERALD_ALLOW_PRIVATE_TARGETS=true): loopback is fine, metadata is not.
    expect((await request(app).post('/v1/webhooks').set(auth).send({ url: 'http://127.0.0.1:9/hook' })).status).toBe(201);
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fd00:ec2::254]/', 'http://metadata.google.internal/computeMetadata/v1/']) {
      const response = await request(app).post('/v1/webhooks').set(auth).send({ url });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/cloud metadata/) }]);
    }
  });
});

describe('tenants', () => {
  const asA = { authorization: `Bearer ${TENANT_A_TOKEN}` };

  it('lets a tenant token see, change and publish only for its own tenant', async () => {
    const mine = await request(app).post('/v1/webhooks').set(asA).send({ url: 'https://example.com/a' });
    expect(mine.status).toBe(201);
    expect(mine.body.tenant).toBe('tenant-a');
    const theirs = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/b', tenant: 'tenant-b' });

    const list = await request(app).get('/v1/webhooks').set(asA);
    expect(list.body.data.map((w: { tenant: string }) => w.tenant)).toEqual(list.body.data.map(() => 'tenant-a'));
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(mine.body.id);
    expect((await request(app).get(`/v1/webhooks/${theirs.body.id}`).set(asA)).status).toBe(404);
    expect((await request(app).patch(`/v1/webhooks/${theirs.body.id}`).set(asA).send({ enabled: false })).status).toBe(404);
    expect((await request(app).delete(`/v1/webhooks/${theirs.body.id}`).set(asA)).status).toBe(404);
    expect((await request(app).post(`/v1/webhooks/${theirs.body.id}/rotate-secret`).set(asA).send({})).status).toBe(404);
    expect((await request(app).get(`/v1/webhooks/${theirs.body.id}`).set(auth)).body.enabled).toBe(true);
    expect((await request(app).get('/v1/webhooks?tenant=tenant-b').set(asA)).status).toBe(403);
    expect((await request(app).post('/v1/webhooks').set(asA).send({ url: 'https://example.com/c', tenant: 'tenant-b' })).status).toBe(403);

    const published = await request(app).post('/v1/events').set(asA).send({ type: 'scoped.event' });
    expect(published.status).toBe(202);
    const entry = ((await redis.xrange(keys.eventsStream, '-', '+')) as [string, string[]][]).find(([, f]) => f.includes(published.body.id));
    const fields = entry?.[1] ?? [];
    expect(JSON.parse(fields[fields.indexOf('event') + 1] as string).tenant).toBe('tenant-a');
    expect((await request(app).post('/v1/events').set(asA).send({ type: 'scoped.event', tenant: 'tenant-b' })).status).toBe(403);
    expect((await request(app).get('/v1/tokens').set(asA)).status).toBe(403);
  });

  it('accepts tokens the admin creates, shows them once, and refuses them once revoked', async () => {
    const created = await request(app).post('/v1/tokens').set(auth).send({ tenant: 'tenant-c', description: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^hrld_tenant-c_/);
    const asC = { authorization: `Bearer ${created.body.token}` };
    const hook = await request(app).post('/v1/webhooks').set(asC).send({ url: 'https://example.com/c' });
    expect(hook.body.tenant).toBe('tenant-c');
    const listed = await request(app).get('/v1/tokens').set(auth);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(listed.body.data.map((t: { id: string }) => t.id)).toContain(created.body.id);
    expect((await request(app).delete(`/v1/tokens/${created.body.id}`).set(auth)).status).toBe(204);
    expect((await request(app).get('/v1/webhooks').set(asC)).status).toBe(401);
  });

  it('hides other tenants\' dead letters', async () => {
    const store = new PartitionDeadLetters(redis, keys);
    const at = new Date().toISOString();
    const pipeline = redis.pipeline();
    store.addTo(pipeline, {
      id: 'evt_b1.wh_b', webhookId: 'wh_b', tenant: 'tenant-b', attempts: 1, lastError: 'x', deadLetteredAt: at, replays: 0,
      event: { id: 'evt_b1', type: 't.b', data: {}, tenant: 'tenant-b', occurredAt: at, receivedAt: 0 },
    });
    await pipeline.exec();
    const listed = await request(app).get('/v1/dead-letters?type=t.b').set(asA);
    expect(listed.body.data).toEqual([]);
    expect((await request(app).get('/v1/dead-letters/evt_b1.wh_b').set(asA)).status).toBe(404);
    expect((await request(app).delete('/v1/dead-letters/evt_b1.wh_b').set(asA)).status).toBe(404);
    expect((await request(app).post('/v1/dead-letters/replay').set(asA).send({ ids: ['evt_b1.wh_b'] })).body.skipped).toEqual([
      { id: 'evt_b1.wh_b', reason: 'not found' },
    ]);
    expect((await request(app).get('/v1/dead-letters?type=t.b').set(auth)).body.data).toHaveLength(1);
  });
});

describe('secret rotation', () => {
  it('returns a new secret and keeps the old one signing for the grace period', async () => {
    const created = await request(app).post('/v1/webhooks').set(auth).send({ url: 'https://example.com/rotate' });
    const rotated = await request(app).post(`/v1/webhooks/${created.body.id}/rotate-secret`).set(auth).send({ graceMs: '1h' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3_500_000);
    const stored = JSON.parse((await redis.hget(keys.webhooks, created.body.id)) as string);
    expect(stored.previousSecrets).toEqual([{ secret: created.body.secret, expiresAt: expect.any(Number) }]);
    expect(JSON.stringify((await request(app).get(`/v1/webhooks/${created.body.id}`).set(auth)).body)).not.toContain('whsec_');
    expect((await request(app).post(`/v1/webhooks/${created.body.id}/rotate-secret`).set(auth).send({ graceMs: -1 })).status).toBe(400);
  });
});
