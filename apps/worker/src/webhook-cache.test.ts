// The worker's webhook cache against the run's real redis-server.
import { WebhookStore, createRedis, redisKeys, webhookCreateSchema, type RedisClient } from '@herald/shared';
import { testRedisUrl, uniquePrefix, waitFor } from '@herald/testing';
import { WebhookCache } from './webhook-cache';

const keys = redisKeys(uniquePrefix('webhook-cache'));
let redis: RedisClient;

// No auto-pipelining: commands reach Redis in the order they are called, which the test relies on.
beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false }, { enableAutoPipelining: false });
});

afterAll(() => redis.disconnect());

const input = (url: string) => webhookCreateSchema.parse({ url, tenant: 'default' });

it('refresh(0) reads the version after the call, even while an earlier reload is in flight', async () => {
  const store = new WebhookStore(redis, keys);
  const cache = new WebhookCache(store);
  await store.create(input('https://example.com/first'));
  await cache.refresh(0);
  expect(cache.forTenant('default')).toHaveLength(1);

  // A reload begins (its version read is sent now), then a webhook is created behind it on the
  // same connection. A caller that saw the new webhook's events must not be answered by the
  // reload that began before it.
  const earlier = cache.refresh(0);
  const created = store.create(input('https://example.com/second'));
  const later = cache.refresh(0);
  await Promise.all([earlier, created, later]);
  expect(cache.get((await created).id)).toBeDefined();
});

it('refresh with a staleness bound shares the reload in flight', async () => {
  const store = new WebhookStore(redis, keys);
  const cache = new WebhookCache(store);
  const versionReads = jest.spyOn(store, 'version');
  const loads = jest.spyOn(store, 'snapshot');
  await Promise.all([cache.refresh(60_000), cache.refresh(60_000), cache.refresh(60_000)]);
  await cache.refresh(60_000);
  expect(loads).toHaveBeenCalledTimes(1);
  expect(versionReads).not.toHaveBeenCalled();
});

describe('after the first load, only what changed is read', () => {
  const ids = (webhooks: readonly { id: string }[]) => webhooks.map((webhook) => webhook.id);

  it('applies creates, updates and deletes without reloading every webhook', async () => {
    const tenantKeys = redisKeys(uniquePrefix('webhook-cache-delta'));
    const store = new WebhookStore(redis, tenantKeys);
    const cache = new WebhookCache(store);
    const first = await store.create(input('https://example.com/a'));
    const moved = await store.create(input('https://example.com/b'));
    await cache.refresh(0);

    const other = await store.create(webhookCreateSchema.parse({ url: 'https://example.com/c', tenant: 'other' }));
    await store.update(first.id, { url: 'https://example.com/a2' });
    await store.delete(moved.id);
    await cache.refresh(0);

    expect(cache.fullReloads).toBe(1);
    expect(cache.get(first.id)?.url).toBe('https://example.com/a2');
    expect(cache.get(moved.id)).toBeUndefined();
    const { webhooks } = await store.snapshot();
    expect(ids(cache.forTenant('default'))).toEqual(ids(webhooks.filter((webhook) => webhook.tenant === 'default')));
    expect(ids(cache.forTenant('other'))).toEqual([other.id]);
  });

  it('reloads everything when it is behind the changes kept', async () => {
    const tenantKeys = redisKeys(uniquePrefix('webhook-cache-trimmed'));
    const store = new WebhookStore(redis, tenantKeys, 2);
    const cache = new WebhookCache(store);
    await store.create(input('https://example.com/a'));
    await cache.refresh(0);
    for (const url of ['https://example.com/b', 'https://example.com/c', 'https://example.com/d']) await store.create(input(url));
    expect(await redis.zcard(tenantKeys.webhookChanges)).toBe(2);

    await cache.refresh(0);
    expect(cache.fullReloads).toBe(2);
    expect(ids(cache.forTenant('default'))).toHaveLength(4);
  });

  it('reloads everything when an older writer changed a webhook before a recorded change', async () => {
    const tenantKeys = redisKeys(uniquePrefix('webhook-cache-unrecorded-first'));
    const store = new WebhookStore(redis, tenantKeys);
    const cache = new WebhookCache(store);
    const first = await store.create(input('https://example.com/a'));
    await cache.refresh(0);
    // An older writer disables the webhook (the document and the counter only), then a newer one
    // creates another: the changes log shows only the second.
    await redis.hset(tenantKeys.webhooks, first.id, JSON.stringify({ ...first, enabled: false }));
    await redis.incr(tenantKeys.webhooksVersion);
    await store.create(input('https://example.com/b'));

    await cache.refresh(0);
    expect(cache.fullReloads).toBe(2);
    expect(cache.get(first.id)?.enabled).toBe(false);
    expect(cache.forTenant('default')).toHaveLength(2);
  });

  it('loads everything again after its interval, catching what no version shows', async () => {
    const tenantKeys = redisKeys(uniquePrefix('webhook-cache-interval'));
    const store = new WebhookStore(redis, tenantKeys);
    const cache = new WebhookCache(store, 50);
    const first = await store.create(input('https://example.com/a'));
    await cache.refresh(0);
    // Edited by hand, or lost and rewritten by a failover: the version says nothing.
    await redis.hset(tenantKeys.webhooks, first.id, JSON.stringify({ ...first, url: 'https://example.com/edited' }));
    await waitFor(async () => {
      await cache.refresh(0);
      return cache.get(first.id)?.url === 'https://example.com/edited';
    }, { timeoutMs: 5000, message: 'the hand edit in the cache' });
    expect(cache.fullReloads).toBeGreaterThanOrEqual(2);
  });

  it('reloads everything when the version moved without a recorded change (an older writer)', async () => {
    const tenantKeys = redisKeys(uniquePrefix('webhook-cache-unrecorded'));
    const store = new WebhookStore(redis, tenantKeys);
    const cache = new WebhookCache(store);
    await store.create(input('https://example.com/a'));
    await cache.refresh(0);
    // What a writer that does not record changes does: the document and the counter only.
    const written = await store.create(input('https://example.com/b'));
    await redis.hset(tenantKeys.webhooks, 'wh_unrecorded', JSON.stringify({ ...written, id: 'wh_unrecorded' }));
    await redis.incr(tenantKeys.webhooksVersion);

    await cache.refresh(0);
    expect(cache.fullReloads).toBe(2);
    expect(cache.get('wh_unrecorded')).toBeDefined();
  });
});

it('syncTo reads nothing when the copy is at the version given, and catches up when it is not', async () => {
  const syncKeys = redisKeys(uniquePrefix('webhook-cache-sync'));
  const store = new WebhookStore(redis, syncKeys);
  const cache = new WebhookCache(store);
  await store.create(webhookCreateSchema.parse({ url: 'https://example.com/a', tenant: 'sync' }));
  await cache.refresh(0);
  const versionReads = jest.spyOn(store, 'version');
  const changeReads = jest.spyOn(store, 'changesSince');
  await cache.syncTo(await store.version());
  expect(versionReads).toHaveBeenCalledTimes(1); // the test's own read above
  expect(changeReads).not.toHaveBeenCalled();

  const added = await store.create(webhookCreateSchema.parse({ url: 'https://example.com/b', tenant: 'sync' }));
  await cache.syncTo(await store.version());
  expect(changeReads).toHaveBeenCalledTimes(1);
  expect(cache.get(added.id)).toBeDefined();
});
