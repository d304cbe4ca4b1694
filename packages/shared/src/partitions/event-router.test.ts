// The hop between partitions against the run's real redis-server: one entry per fan-out batch and
// partition, each event written once however often the batch is routed, and the markers let go.
import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '../test-redis';
import type { RedisClient } from '../redis-client';
import type { StoredEvent } from '../schemas/event';
import { decodeStreamEntry, type RoutedEvent } from '../stream-entry';
import { EventRouter } from './event-router';
import { PartitionLayout } from './partition-layout';

let redis: RedisClient;

beforeAll(() => (redis = connectTestRedis()));

afterAll(() => redis.disconnect());

const HOUR_MS = 3_600_000;
const layout = new PartitionLayout(`test-router-${randomBytes(4).toString('hex')}`, 4);

/** A webhook id living in `partition`. */
function webhookIn(partition: number, n: number): string {
  for (let i = 0; ; i++) {
    const id = `wh_${partition}_${n}_${i}`;
    if (layout.ofWebhook(id) === partition) return id;
  }
}

const eventAt = (n: number, receivedAt: number): StoredEvent => ({
  id: `evt_route${n}`, type: 'order.created', tenant: 'acme', data: { n }, occurredAt: new Date(receivedAt).toISOString(), receivedAt,
});

/** The events each entry of a partition's stream carries, by event id with their webhooks. */
async function entriesOf(partition: number): Promise<RoutedEvent[][]> {
  const entries = (await redis.xrange(layout.keys(partition).eventsStream, '-', '+')) as [string, string[]][];
  return entries.map(([id, fields]) => {
    const decoded = decodeStreamEntry(id, fields);
    if (!decoded.ok || !('routed' in decoded)) throw new Error(`entry ${id} is not a routed entry`);
    return decoded.routed;
  });
}

it('writes one entry per partition for a batch of events, and nothing new when the batch is routed again', async () => {
  const router = new EventRouter(redis, layout, 0);
  const [a1, a2, b1] = [webhookIn(1, 1), webhookIn(1, 2), webhookIn(2, 1)];
  // Two events received in different hours: their markers go into two sets.
  const t = 1_700_000_000_000;
  const first = eventAt(1, t);
  const second = eventAt(2, t + HOUR_MS);
  const batch: RoutedEvent[] = [
    { event: first, webhookIds: [a1, a2, b1] },
    { event: second, webhookIds: [a2] },
  ];
  const { done, failed } = await router.route(batch, { mayRepeat: false });
  expect(failed).toEqual([]);
  expect(done.get(first.id)?.sort()).toEqual([1, 2]);
  expect(done.get(second.id)).toEqual([1]);
  expect(await entriesOf(1)).toEqual([[{ event: first, webhookIds: [a1, a2] }, { event: second, webhookIds: [a2] }]]);
  expect(await entriesOf(2)).toEqual([[{ event: first, webhookIds: [b1] }]]);

  // Read again after a crash (claimed): nothing new; a new event in the same batch goes alone.
  const third = eventAt(3, t);
  await router.route([...batch, { event: third, webhookIds: [a1] }], { mayRepeat: true });
  expect(await entriesOf(1)).toEqual([
    [{ event: first, webhookIds: [a1, a2] }, { event: second, webhookIds: [a2] }],
    [{ event: third, webhookIds: [a1] }],
  ]);
  expect(await entriesOf(2)).toHaveLength(1);
  await router.route(batch, { mayRepeat: true });
  expect(await entriesOf(1)).toHaveLength(2);

  // Once the source entries are acknowledged, the markers go; the sets with them when empty.
  const hour = Math.floor(t / HOUR_MS);
  expect((await redis.smembers(layout.keys(1).routedEvents(hour))).sort()).toEqual([first.id, third.id]);
  expect(await redis.ttl(layout.keys(1).routedEvents(hour))).toBeGreaterThan(3600);
  await router.forget([
    { eventId: first.id, receivedAt: first.receivedAt, partitions: [1, 2] },
    { eventId: second.id, receivedAt: second.receivedAt, partitions: [1] },
    { eventId: third.id, receivedAt: third.receivedAt, partitions: [1] },
  ]);
  expect(await redis.exists(layout.keys(1).routedEvents(hour), layout.keys(1).routedEvents(hour + 1), layout.keys(2).routedEvents(hour))).toBe(0);
});

it('splits a large batch into entries of at most 100 events', async () => {
  const router = new EventRouter(redis, layout, 0);
  const webhook = webhookIn(3, 1);
  const batch = Array.from({ length: 250 }, (_, n) => ({ event: eventAt(1000 + n, 1_700_000_000_000), webhookIds: [webhook] }));
  await router.route(batch, { mayRepeat: false });
  expect((await entriesOf(3)).map((events) => events.length)).toEqual([100, 100, 50]);
});
