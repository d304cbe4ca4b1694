// Which webhooks an event reaches through their filters, and that each filter is compiled once per
// webhook version (documents from the run's real redis-server, as fan-out reads them).
import pino from 'pino';
import { WebhookStore, createRedis, redisKeys, webhookCreateSchema, type RedisClient, type StoredEvent } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { WebhookDocuments } from './webhook-documents';
import { WebhookFilters } from './webhook-filters';
import { WebhookRegistry } from './webhook-registry';

const logger = pino({ level: 'silent' });
let redis: RedisClient;

beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false });
});

afterAll(() => redis.disconnect());

const event = (type: string, data: Record<string, unknown>): StoredEvent => ({
  id: 'evt_1', type, data, tenant: 'default', occurredAt: '2026-03-01T12:00:00.000Z', receivedAt: 0,
});

it('lets through what passes each webhook\'s filter, the most specific event filter first, and counts the rest', async () => {
  const store = new WebhookStore(redis, redisKeys(uniquePrefix('filters-select')));
  const plain = await store.create(webhookCreateSchema.parse({ url: 'https://example.com/plain' }));
  const big = await store.create(webhookCreateSchema.parse({ url: 'https://example.com/big', filter: { data: { amount: { $gte: 100 } } } }));
  const paid = await store.create(
    webhookCreateSchema.parse({ url: 'https://example.com/paid', filter: { type: 'never' }, eventFilters: { 'order.*': { data: { status: 'paid' } } } }),
  );
  const filters = new WebhookFilters();
  const ids = (selected: { passed: readonly { id: string }[] }) => selected.passed.map((w) => w.id);

  expect(ids(filters.select(event('order.created', { amount: 150, status: 'open' }), [plain, big, paid]))).toEqual([plain.id, big.id]);
  expect(filters.select(event('order.created', { amount: 50, status: 'paid' }), [plain, big, paid])).toMatchObject({ refused: 1 });
  expect(ids(filters.select(event('user.created', { amount: 50 }), [plain, big, paid]))).toEqual([plain.id]);
  // Without filters, the same list back: nothing made, nothing compiled.
  const none = [plain];
  expect(filters.select(event('x', {}), none).passed).toBe(none);
});

it('compiles a filter once per webhook version', async () => {
  const store = new WebhookStore(redis, redisKeys(uniquePrefix('filters-compile')));
  const registry = new WebhookRegistry(store, logger);
  const documents = new WebhookDocuments(store, logger, { size: 100, maxAgeMs: 60_000 });
  const filters = new WebhookFilters();
  const created = await store.create(webhookCreateSchema.parse({ url: 'https://example.com/a', filter: { data: { amount: { $gte: 100 } } } }));
  const reach = async (amount: number) => {
    await registry.refresh(0);
    const route = registry.get(created.id);
    if (!route) throw new Error('no route');
    const webhook = (await documents.get([route])).get(created.id);
    if (!webhook) throw new Error('no document');
    return filters.select(event('order.created', { amount }), [webhook]).passed.length === 1;
  };

  expect(await reach(150)).toBe(true);
  expect(await reach(50)).toBe(false);
  expect(filters.compiles).toBe(1);

  await store.update(created.id, { filter: { data: { amount: { $lt: 100 } } } });
  expect(await reach(50)).toBe(true);
  expect(await reach(20)).toBe(true);
  expect(filters.compiles).toBe(2);

  await store.update(created.id, { filter: null });
  expect(await reach(1)).toBe(true);
  expect(filters.compiles).toBe(2);
});
