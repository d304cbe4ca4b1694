// The worker's copy of the webhooks' routes against the run's real redis-server.
import pino from 'pino';
import { WebhookStore, createRedis, redisKeys, webhookCreateSchema, type RedisClient, type StoredEvent } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { WebhookRegistry } from './webhook-registry';

const logger = pino({ level: 'silent' });
let redis: RedisClient;

// No auto-pipelining: commands reach Redis in the order they are called, which the test relies on.
beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false }, { enableAutoPipelining: false });
});

afterAll(() => redis.disconnect());

const input = (url: string, fields: Record<string, unknown> = {}) => webhookCreateSchema.parse({ url, tenant: 'default', ...fields });
const event = (type: string, fields: Partial<StoredEvent> = {}): StoredEvent => ({
  id: 'evt_1', type, tenant: 'default', data: {}, occurredAt: new Date().toISOString(), receivedAt: Date.now(), ...fields,
});
const ids = (routes: readonly { id: string }[]) => routes.map((route) => route.id).sort();

function setup(name: string, changesKept?: number) {
  const keys = redisKeys(uniquePrefix(name));
  const store = new WebhookStore(redis, keys, { changesKept });
  return { keys, store, registry: new WebhookRegistry(store, logger) };
}

it('refresh(0) reads the version after the call, even while an earlier reload is in flight', async () => {
  const { store, registry } = setup('registry-order');
  await store.create(input('https://example.com/first'));
  await registry.refresh(0);
  expect(registry.size).toBe(1);

  // A reload begins (its read is sent now), then a webhook is created behind it on the same
  // connection. A caller that saw the new webhook's events must not be answered by the reload
  // that began before it.
  const earlier = registry.refresh(0);
  const created = store.create(input('https://example.com/second'));
  const later = registry.refresh(0);
  await Promise.all([earlier, created, later]);
  expect(registry.get((await created).id)).toBeDefined();
});

it('refresh with a staleness bound shares the reload in flight', async () => {
  const { store, registry } = setup('registry-shared');
  const loads = jest.spyOn(store, 'routeSnapshot');
  await Promise.all([registry.refresh(60_000), registry.refresh(60_000), registry.refresh(60_000)]);
  await registry.refresh(60_000);
  expect(loads).toHaveBeenCalledTimes(1);
});

it('matches an event to the enabled webhooks subscribed to it, never to the webhook one of Herald\'s own events is about', async () => {
  const { store, registry } = setup('registry-match');
  const orders = await store.create(input('https://example.com/orders', { events: ['order.*'] }));
  const all = await store.create(input('https://example.com/all', { events: ['*'] }));
  await store.create(input('https://example.com/off', { events: ['order.created'], enabled: false }));
  await store.create(input('https://example.com/other', { tenant: 'other', events: ['*'] }));
  const alarms = await store.create(input('https://example.com/alarms', { events: ['circuit_breaker.*'] }));
  await registry.refresh(0);

  expect(ids(registry.match(event('order.created')))).toEqual(ids([orders, all]));
  expect(ids(registry.match(event('invoice.paid')))).toEqual([all.id]);
  expect(registry.match(event('circuit_breaker.opened', { data: { webhookId: orders.id } })).map((r) => r.id)).toEqual([alarms.id]);
  expect(registry.match(event('circuit_breaker.opened', { data: { webhookId: alarms.id } }))).toEqual([]);
  expect(registry.match(event('order.created', { tenant: 'nobody' }))).toEqual([]);
});

describe('after the first load, only what changed is read', () => {
  it('applies creates, updates and deletes without reading every route', async () => {
    const { store, registry } = setup('registry-delta');
    const first = await store.create(input('https://example.com/a', { events: ['order.created'] }));
    const gone = await store.create(input('https://example.com/b'));
    await registry.refresh(0);

    const other = await store.create(input('https://example.com/c', { tenant: 'other' }));
    await store.update(first.id, { events: ['invoice.paid'] });
    await store.delete(gone.id);
    const disabled = await store.create(input('https://example.com/d'));
    await store.update(disabled.id, { enabled: false });
    await registry.refresh(0);

    expect(registry.fullLoads).toBe(1);
    expect(registry.get(first.id)?.events).toEqual(['invoice.paid']);
    expect(registry.get(gone.id)).toBeUndefined();
    expect(registry.get(disabled.id)?.enabled).toBe(false);
    expect(ids(registry.match(event('invoice.paid')))).toEqual([first.id]);
    expect(ids(registry.match(event('order.created')))).toEqual([]);
    expect(ids(registry.match(event('x.y', { tenant: 'other' })))).toEqual([other.id]);
  });

  it('reads every route when it is behind the changes kept', async () => {
    const { keys, store, registry } = setup('registry-trimmed', 2);
    await store.create(input('https://example.com/a'));
    await registry.refresh(0);
    for (const url of ['https://example.com/b', 'https://example.com/c', 'https://example.com/d']) await store.create(input(url));
    expect(await redis.zcard(keys.webhookChanges)).toBe(2);

    await registry.refresh(0);
    expect(registry.fullLoads).toBe(2);
    expect(registry.size).toBe(4);
  });

  it('makes routes again from the documents when an older writer changed one without recording it', async () => {
    const { keys, store, registry } = setup('registry-unrecorded-first');
    const first = await store.create(input('https://example.com/a'));
    await registry.refresh(0);
    // An older writer disables the webhook (the document and the counter only, no change, no
    // route), then a newer one creates another: the changes log shows only the second.
    await redis.hset(keys.webhooks, first.id, JSON.stringify({ ...first, enabled: false }));
    await redis.incr(keys.webhooksVersion);
    await store.create(input('https://example.com/b'));

    await registry.refresh(0);
    expect(registry.fullLoads).toBe(2);
    expect(registry.get(first.id)?.enabled).toBe(false);
    expect(registry.size).toBe(2);
  });

  it('drops the route of a webhook an older writer deleted without recording it', async () => {
    const { keys, store, registry } = setup('registry-unrecorded-delete');
    const kept = await store.create(input('https://example.com/kept'));
    const gone = await store.create(input('https://example.com/gone'));
    await registry.refresh(0);
    await redis.hdel(keys.webhooks, gone.id);
    await redis.incr(keys.webhooksVersion);
    await store.create(input('https://example.com/new'));

    await registry.refresh(0);
    expect(registry.get(gone.id)).toBeUndefined();
    expect(registry.get(kept.id)).toBeDefined();
    expect(await redis.hexists(keys.webhookRoutes('default'), gone.id)).toBe(0);
  });

  it('makes routes for webhooks written before routes existed, at the first load', async () => {
    const { keys, store, registry } = setup('registry-migration');
    const written = await store.create(input('https://example.com/a'));
    // What a store of an older Herald holds: documents, no routes.
    await redis.hset(keys.webhooks, 'wh_older', JSON.stringify({ ...written, id: 'wh_older' }));
    await redis.incr(keys.webhooksVersion);

    await registry.refresh(0);
    expect(registry.get('wh_older')?.enabled).toBe(true);
    expect(await store.routesComplete()).toBe(true);
  });
});

it('syncTo reads nothing when the copy is at the version given, and catches up when it is not', async () => {
  const { store, registry } = setup('registry-sync');
  await store.create(input('https://example.com/a'));
  await registry.refresh(0);
  const changeReads = jest.spyOn(store, 'changesSince');
  await registry.syncTo(await store.version());
  expect(changeReads).not.toHaveBeenCalled();

  const added = await store.create(input('https://example.com/b'));
  await registry.syncTo(await store.version());
  expect(changeReads).toHaveBeenCalledTimes(1);
  expect(registry.get(added.id)).toBeDefined();
});

it('finds a tenant whose routes differ from Redis at the same version (a write lost in a failover) by its digest, and reads only that tenant again', async () => {
  const { keys, store, registry } = setup('registry-digest');
  await store.create(input('https://example.com/kept', { tenant: 'quiet' }));
  await store.create(input('https://example.com/a'));
  const saved = await Promise.all(
    [keys.webhooks, keys.webhooksVersion, keys.webhookChanges, keys.webhookRoutes('default'), keys.webhookTenants].map(async (key) => [key, await redis.dumpBuffer(key)] as const),
  );
  const lost = await store.create(input('https://example.com/lost'));
  await registry.refresh(0);
  expect(registry.get(lost.id)).toBeDefined();

  // The new master never had that write, and took another at the same version.
  for (const [key, dump] of saved) await redis.restore(key, 0, dump as Buffer, 'REPLACE');
  const other = await store.create(input('https://example.com/other'));
  await registry.syncTo(await store.version());
  expect(registry.get(other.id)).toBeUndefined();

  await registry.checkDigests();
  expect(registry.get(lost.id)).toBeUndefined();
  expect(registry.get(other.id)).toBeDefined();
  expect(registry.tenantReloads).toBe(1);
  expect(registry.fullLoads).toBe(1);
  // In step again: nothing more to read.
  await registry.checkDigests();
  expect(registry.tenantReloads).toBe(1);
});

it('keeps a webhook written by an API that keeps no routes, and makes its route in Redis when the digests differ', async () => {
  const { keys, store, registry } = setup('registry-older-api');
  await store.create(input('https://example.com/a'));
  await registry.refresh(0);
  // What an older API writes: the document, the version and the change, but no route or digest.
  const written = await store.create(input('https://example.com/template'));
  const older = { ...written, id: 'wh_olderapi', events: ['order.*'] };
  await redis.hset(keys.webhooks, older.id, JSON.stringify(older));
  const version = await redis.incr(keys.webhooksVersion);
  await redis.zadd(keys.webhookChanges, version, older.id);

  await registry.refresh(0);
  expect(registry.get(older.id)?.events).toEqual(['order.*']);
  await registry.checkDigests();
  expect(registry.get(older.id)?.events).toEqual(['order.*']);
  expect(await redis.hexists(keys.webhookRoutes('default'), older.id)).toBe(1);
  // In step now: nothing differs at the next check.
  const reloads = registry.tenantReloads;
  await registry.checkDigests();
  expect(registry.tenantReloads).toBe(reloads);
});
