// Webhook placement against the run's real redis-server: new webhooks spread evenly over the partitions.
import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '../test-redis';
import type { RedisClient } from '../redis-client';
import { PartitionLayout } from './partition-layout';
import { placedWebhookIds } from './webhook-placement';

let redis: RedisClient;

beforeAll(() => (redis = connectTestRedis()));

afterAll(() => redis.disconnect());

it('places new webhooks in each partition in turn, so each holds as many', async () => {
  const layout = new PartitionLayout(`test-placement-${randomBytes(4).toString('hex')}`, 7);
  const newId = placedWebhookIds(redis, layout);
  const ids = await Promise.all(Array.from({ length: 70 }, () => newId(Date.now())));
  const counts = new Array<number>(7).fill(0);
  for (const id of ids) counts[layout.ofWebhook(id)]! += 1;
  expect(counts).toEqual(new Array<number>(7).fill(10));
  expect(new Set(ids).size).toBe(70);
  expect(ids.every((id) => /^wh_/.test(id))).toBe(true);
});

it("places a webhook made with ordering in its tenant's ordered partition, where its tenant's events are ingested", async () => {
  const layout = new PartitionLayout(`test-placement-${randomBytes(4).toString('hex')}`, 7);
  const newId = placedWebhookIds(redis, layout);
  for (const tenant of ['acme', 'globex', 'initech', 'umbrella']) {
    const ids = await Promise.all(Array.from({ length: 5 }, () => newId(Date.now(), { tenant, ordering: { mode: 'fifo' } })));
    expect(ids.map((id) => layout.ofWebhook(id))).toEqual(new Array<number>(5).fill(layout.ofOrderedTenant(tenant)));
    expect(layout.ofIngest(tenant, 'any-key', true)).toBe(layout.ofOrderedTenant(tenant));
  }
  // Webhooks without ordering are not counted off the turns.
  expect(await redis.get(layout.global.webhookPlacement)).toBeNull();
});
