// Whole webhook documents kept for the webhooks delivered to, against the run's real redis-server.
import pino from 'pino';
import { WebhookStore, createRedis, redisKeys, webhookCreateSchema, type RedisClient } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { WebhookDocuments } from './webhook-documents';
import { WebhookRegistry } from './webhook-registry';

const logger = pino({ level: 'silent' });
let redis: RedisClient;

beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false });
});

afterAll(() => redis.disconnect());

function setup(name: string, options: { size?: number; maxAgeMs?: number } = {}) {
  const keys = redisKeys(uniquePrefix(name));
  const store = new WebhookStore(redis, keys);
  const registry = new WebhookRegistry(store, logger);
  const documents = new WebhookDocuments(store, logger, { size: options.size ?? 100, maxAgeMs: options.maxAgeMs ?? 60_000 });
  const route = (id: string) => {
    const found = registry.get(id);
    if (!found) throw new Error(`no route for ${id}`);
    return found;
  };
  return { keys, store, registry, documents, route };
}

const input = (url: string) => webhookCreateSchema.parse({ url, tenant: 'default' });

it('reads a document once, and again when its route shows a newer change', async () => {
  const { store, registry, documents, route } = setup('documents-revision');
  const created = await store.create(input('https://example.com/a'));
  await registry.refresh(0);
  expect((await documents.get([route(created.id)])).get(created.id)?.url).toBe('https://example.com/a');
  await documents.get([route(created.id)]);
  expect(documents.reads).toBe(1);

  await store.update(created.id, { url: 'https://example.com/b' });
  await registry.refresh(0);
  expect((await documents.get([route(created.id)])).get(created.id)?.url).toBe('https://example.com/b');
  expect(documents.reads).toBe(2);
});

it('reads a document again after its time, so that an edit by hand shows', async () => {
  const { keys, store, registry, documents, route } = setup('documents-age', { maxAgeMs: 60_000 });
  const created = await store.create(input('https://example.com/a'));
  await registry.refresh(0);
  const readAt = Date.now();
  await documents.get([route(created.id)], readAt);
  await redis.hset(keys.webhooks, created.id, JSON.stringify({ ...created, url: 'https://example.com/edited' }));
  expect((await documents.get([route(created.id)], readAt + 59_999)).get(created.id)?.url).toBe('https://example.com/a');
  expect((await documents.get([route(created.id)], readAt + 60_000)).get(created.id)?.url).toBe('https://example.com/edited');
});

it('keeps no more documents than it may, the least recently used going first, and skips one that does not parse', async () => {
  const { keys, store, registry, documents, route } = setup('documents-size', { size: 2 });
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => store.create(input(`https://example.com/${name}`))));
  await registry.refresh(0);
  await documents.get([route(a!.id), route(b!.id)]);
  await documents.get([route(a!.id)]);
  await documents.get([route(c!.id)]); // b goes: a was used after it
  expect(documents.reads).toBe(3);
  await documents.get([route(a!.id), route(c!.id)]);
  expect(documents.reads).toBe(3);
  await documents.get([route(b!.id)]);
  expect(documents.reads).toBe(4);

  await redis.hset(keys.webhooks, c!.id, '{"not":"a webhook"}');
  const found = await new WebhookDocuments(store, logger, { size: 10, maxAgeMs: 60_000 }).get([route(a!.id), route(c!.id)]);
  expect([...found.keys()]).toEqual([a!.id]);
});
