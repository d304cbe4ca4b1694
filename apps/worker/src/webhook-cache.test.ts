// The worker's webhook cache against the run's real redis-server.
import { WebhookStore, createRedis, redisKeys, webhookCreateSchema, type RedisClient } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
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
  await Promise.all([cache.refresh(60_000), cache.refresh(60_000), cache.refresh(60_000)]);
  await cache.refresh(60_000);
  expect(versionReads).toHaveBeenCalledTimes(1);
});
