// Partitions on one redis-server (HERALD_PARTITIONS=4; the cluster test runs them over masters):
// webhooks live in the partitions their ids hash to, events in those of their tenants and keys,
// fan-out hops between them once per event and partition (an entry per batch and partition, of
// several events, delivered, claimed and refused as a whole); workers lease the partitions, take
// over a dead worker's within seconds, and listings and totals span every partition.
import { routedItem, type StoredEvent } from '@herald/shared';
import {
  createWebhook,
  publishBatch,
  spawnApp,
  startHerald,
  startReceiver,
  testRedisUrl,
  waitFor,
  type Herald,
  type Receiver,
} from '@herald/testing';

const PARTITIONS = 4;
let herald: Herald;
let hook: Receiver;
/** The receiver answers by path: …/fail/… answers 400 until `failing` is false. */
let failing = true;

beforeAll(async () => {
  herald = await startHerald('partitions', { partitions: PARTITIONS, workers: 2 });
  hook = await startReceiver((request) => (request.path.includes('/fail/') && failing ? { status: 400 } : { status: 200 }));
});

afterAll(async () => {
  await herald?.stop();
  await hook?.close();
});

/** `<webhook-id header> <path>` of every request received: one delivery of one event to one webhook. */
const arrivals = () => hook.requests.map((request) => `${request.headers['webhook-id']} ${request.path.slice(new URL(hook.url).pathname.length)}`);

/** Each partition's lease holder, from the global leases hash. */
async function leaseHolders(): Promise<Map<number, string>> {
  const leases = await herald.redis.hgetall(herald.layout.global.partitionLeases);
  return new Map(Object.entries(leases).map(([partition, lease]) => [Number(partition), lease.slice(0, lease.lastIndexOf('|'))]));
}

it('delivers each event once to each of its webhooks, whatever partitions they live in, and counts each once', async () => {
  const tenants = ['acme', 'globex', 'initech'];
  const webhooks: { id: string; tenant: string; path: string }[] = [];
  for (const tenant of tenants) {
    for (let n = 0; n < 4; n++) {
      const path = `/ok/${tenant}/${n}`;
      const { id } = await createWebhook(herald.client, { tenant, url: `${hook.url}${path}`, events: ['order.*'] });
      webhooks.push({ id, tenant, path });
    }
  }
  expect(new Set(webhooks.map((w) => herald.layout.ofWebhook(w.id))).size).toBeGreaterThan(1);

  const published = new Map<string, string>();
  for (const tenant of tenants) for (const id of await publishBatch(herald.client, tenant, 'order.created', 100)) published.set(id, tenant);
  const expected = [...published].flatMap(([eventId, tenant]) => webhooks.filter((w) => w.tenant === tenant).map((w) => `${eventId} ${w.path}`));
  await hook.waitForRequests(expected.length, { timeoutMs: 30_000 });
  await herald.waitForSettled();
  expect(arrivals().sort()).toEqual(expected.sort());

  // The events went to every partition, by tenant and id; the workers share the partitions out.
  const lengths = await Promise.all(herald.layout.all().map((n) => herald.redis.xlen(herald.layout.keys(n).eventsStream)));
  expect(lengths.every((length) => length > 0)).toBe(true);
  // The second worker to start takes its half as the first lets it go, within a lease turn or two.
  await waitFor(async () => {
    const holders = await leaseHolders();
    return holders.size === PARTITIONS && new Set(holders.values()).size === 2;
  }, { timeoutMs: 10_000, message: 'both workers holding two partitions each' });

  const stats = (await herald.client.get('/v1/stats')).body;
  expect(stats.deliveries.success).toBe(expected.length);
  expect(stats.events.lastHour).toBe(published.size);
  const listed = (await herald.client.get('/v1/events?limit=100')).body.data as { id: string }[];
  expect(listed).toHaveLength(100);
  expect(new Set(listed.map((e) => e.id)).size).toBe(100);
  expect(listed.every((e) => published.has(e.id))).toBe(true);
  const byType = (await herald.client.get('/v1/events/stats')).body.byType;
  expect(byType['order.created']).toBe(published.size);
});

it('lists dead letters of every partition newest first, page by page, and replays them into their partitions', async () => {
  const webhooks: string[] = [];
  for (let n = 0; n < 6; n++) webhooks.push((await createWebhook(herald.client, { tenant: 'failing', url: `${hook.url}/fail/${n}`, events: ['bill.*'] })).id);
  const published = await publishBatch(herald.client, 'failing', 'bill.sent', 10);
  const deadLetterIds = published.flatMap((eventId) => webhooks.map((webhookId) => `${eventId}.${webhookId}`));
  await waitFor(async () => (await herald.client.get('/v1/stats')).body.deadLetters === deadLetterIds.length, {
    timeoutMs: 30_000,
    message: 'every delivery dead-lettered',
  });

  const pages: { id: string; deadLetteredAt: string }[][] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = (await herald.client.get(`/v1/dead-letters?type=bill.sent&limit=7${query}`)).body as { data: { id: string; deadLetteredAt: string }[]; next: string | null };
    pages.push(page.data);
    cursor = page.next;
  } while (cursor);
  const listed = pages.flat();
  expect(listed.map((d) => d.id).sort()).toEqual([...deadLetterIds].sort());
  const order = listed.map((d) => [Date.parse(d.deadLetteredAt), d.id] as const);
  expect(order.every(([at, id], i) => i === 0 || (order[i - 1] as readonly [number, string])[0] > at || ((order[i - 1] as readonly [number, string])[0] === at && (order[i - 1] as readonly [number, string])[1] > id))).toBe(true);
  expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);

  failing = false;
  const seen = hook.requests.length;
  const replay = await herald.client.post('/v1/dead-letters/replay', { type: 'bill.sent' });
  expect(replay.status).toBe(202);
  expect(replay.body.replayed).toHaveLength(deadLetterIds.length);
  await hook.waitForRequests(seen + deadLetterIds.length, { timeoutMs: 30_000 });
  await herald.waitForSettled();
  expect((await herald.client.get('/v1/stats')).body.deadLetters).toBe(0);
});

it('hands a killed worker’s partitions to the one left within seconds, losing nothing', async () => {
  const { id } = await createWebhook(herald.client, { tenant: 'kill', url: `${hook.url}/ok/kill`, events: ['job.*'] });
  const before = hook.requests.length;
  const first = await publishBatch(herald.client, 'kill', 'job.done', 200);
  const victim = herald.workers[0];
  if (!victim) throw new Error('no worker to kill');
  await victim.stop('SIGKILL');
  herald.workers.splice(herald.workers.indexOf(victim), 1);
  const second = await publishBatch(herald.client, 'kill', 'job.done', 200);

  await waitFor(async () => new Set((await leaseHolders()).values()).size === 1 && (await leaseHolders()).size === PARTITIONS, {
    timeoutMs: 15_000,
    message: 'the worker left holds every partition',
  });
  const delivered = () => new Set(hook.requests.slice(before).filter((r) => r.path.endsWith('/ok/kill')).map((r) => r.headers['webhook-id']));
  await waitFor(() => [...first, ...second].every((eventId) => delivered().has(eventId)), {
    timeoutMs: 45_000,
    message: () => `all 400 delivered after the kill (have ${delivered().size})`,
  });
  await herald.waitForSettled(30_000);
  expect(id).toMatch(/^wh_/);
});

it('delivers events written straight into every partition\'s stream at once, though their entry ids repeat across streams', async () => {
  await createWebhook(herald.client, { tenant: 'direct', url: `${hook.url}/ok/direct`, events: ['raw.*'] });
  const pipeline = herald.redis.pipeline();
  for (let round = 0; round < 5; round++) {
    for (const n of herald.layout.all()) pipeline.xadd(herald.layout.keys(n).eventsStream, '*', 'event', JSON.stringify({ tenant: 'direct', type: 'raw.event', data: { n, round } }));
  }
  const entryIds = ((await pipeline.exec()) ?? []).map(([, id]) => id as string);
  // The same entry ids in different streams (one pipeline, the same millisecond): the case in point.
  expect(new Set(entryIds).size).toBeLessThan(entryIds.length);
  const received = () => hook.requests.filter((r) => r.path.endsWith('/ok/direct')).map((r) => JSON.parse(r.body).data as { n: number; round: number });
  await waitFor(() => new Set(received().map((d) => `${d.n}:${d.round}`)).size === entryIds.length, {
    timeoutMs: 15_000,
    message: () => `every event written straight to a partition delivered (have ${received().length} of ${entryIds.length})`,
  });
});

/** Two webhooks of `tenant` in one partition (new webhooks go to the partitions in turn), with their paths. */
async function twoWebhooksInOnePartition(tenant: string): Promise<{ partition: number; a: { id: string; path: string }; b: { id: string; path: string } }> {
  const made: { id: string; path: string }[] = [];
  for (let n = 0; n < PARTITIONS * 2; n++) {
    const path = `/ok/${tenant}/${n}`;
    made.push({ id: (await createWebhook(herald.client, { tenant, url: `${hook.url}${path}`, events: ['batch.*'] })).id, path });
  }
  for (const a of made) {
    const b = made.find((other) => other !== a && herald.layout.ofWebhook(other.id) === herald.layout.ofWebhook(a.id));
    if (b) return { partition: herald.layout.ofWebhook(a.id), a, b };
  }
  throw new Error('no two webhooks in one partition');
}

const routedEvent = (tenant: string, n: number): StoredEvent => ({
  id: `evt_${tenant}-${n}`, type: 'batch.event', tenant, data: { n }, occurredAt: new Date().toISOString(), receivedAt: Date.now(),
});

/** The fields of an entry that carries these events, routed here from another partition. */
const routedEntry = (events: [StoredEvent, string[]][]) => ['routed', `[${events.map(([event, webhookIds]) => routedItem({ event, webhookIds })).join(',')}]`];

const pendingIn = async (partition: number) => ((await herald.redis.xpending(herald.layout.keys(partition).eventsStream, 'fanout')) as [number])[0];

it('delivers each event of an entry routed from another partition to the webhooks it names, and acknowledges the entry once all are settled', async () => {
  const { partition, a, b } = await twoWebhooksInOnePartition('routed-many');
  const [e1, e2, e3] = [1, 2, 3].map((n) => routedEvent('routed-many', n)) as [StoredEvent, StoredEvent, StoredEvent];
  const keys = herald.layout.keys(partition);
  const entryId = (await herald.redis.xadd(keys.eventsStream, '*', ...routedEntry([[e1, [a.id, b.id]], [e2, [a.id]], [e3, [b.id]]]))) as string;

  const expected = [`${e1.id} ${a.path}`, `${e1.id} ${b.path}`, `${e2.id} ${a.path}`, `${e3.id} ${b.path}`];
  const routedArrivals = () => arrivals().filter((arrival) => arrival.includes('/routed-many/'));
  await waitFor(() => routedArrivals().length >= expected.length, { timeoutMs: 15_000, message: 'the four deliveries of the routed entry' });
  await waitFor(async () => (await pendingIn(partition)) === 0, { message: 'the routed entry acknowledged' });
  expect(routedArrivals().sort()).toEqual(expected.sort());
  expect(await herald.redis.exists(keys.settledDeliveries(entryId))).toBe(0);
});

it('skips, when it claims an entry routed from another partition, the deliveries of its events settled before', async () => {
  const { partition, a, b } = await twoWebhooksInOnePartition('routed-claimed');
  const [e1, e2] = [1, 2].map((n) => routedEvent('routed-claimed', n)) as [StoredEvent, StoredEvent];
  const keys = herald.layout.keys(partition);
  // A consumer reads the entry (in the same transaction, so that no worker reads it first), settles
  // the delivery of the first event to the first webhook, and dies.
  const [[, entryId], [, read]] = (await herald.redis
    .multi()
    .xadd(keys.eventsStream, '*', ...routedEntry([[e1, [a.id, b.id]], [e2, [a.id]]]))
    .xreadgroup('GROUP', 'fanout', 'ghost', 'COUNT', 1000, 'STREAMS', keys.eventsStream, '>')
    .exec()) as [[null, string], [null, [string, [string, string[]][]][]]];
  expect(read[0]![1].map(([id]) => id)).toEqual([entryId]);
  await herald.redis.hset(keys.settledDeliveries(entryId), `${e1.id}.${a.id}`, '1');

  const routedArrivals = () => arrivals().filter((arrival) => arrival.includes('/routed-claimed/'));
  await waitFor(() => routedArrivals().length >= 2, { timeoutMs: 20_000, message: 'the claimed entry\'s two unsettled deliveries' });
  await waitFor(async () => (await pendingIn(partition)) === 0, { timeoutMs: 20_000, message: 'the claimed entry acknowledged' });
  // A claimed entry's deliveries go through the queue: all of them done before counting.
  await herald.waitForSettled();
  expect(routedArrivals().sort()).toEqual([`${e1.id} ${b.path}`, `${e2.id} ${a.path}`].sort());
  expect(await herald.redis.exists(keys.settledDeliveries(entryId))).toBe(0);
});

it('moves an entry routed from another partition that does not hold valid events to the invalid stream, with the reason', async () => {
  const keys = herald.layout.keys(0);
  const good = JSON.parse(routedItem({ event: routedEvent('routed-bad', 1), webhookIds: ['wh_x'] })) as Record<string, unknown>;
  const notJson = (await herald.redis.xadd(keys.eventsStream, '*', 'routed', '[{')) as string;
  const badEvent = (await herald.redis.xadd(keys.eventsStream, '*', 'routed', JSON.stringify([good, { ...good, eventId: 'evt_bad:id' }]))) as string;
  const noTargets = (await herald.redis.xadd(keys.eventsStream, '*', 'routed', JSON.stringify([{ ...good, targets: [] }]))) as string;
  const reasons = await waitFor(async () => {
    const entries = (await herald.redis.xrange(keys.invalidEventsStream, '-', '+')) as [string, string[]][];
    const byEntry = new Map(entries.map(([, fields]) => [fields[fields.indexOf('entryId') + 1], fields[fields.indexOf('reason') + 1]] as const));
    return [notJson, badEvent, noTargets].every((id) => byEntry.has(id)) && byEntry;
  }, { message: 'three entries in the invalid stream' });
  expect(reasons.get(notJson)).toMatch(/"routed" is not valid JSON/);
  expect(reasons.get(badEvent)).toMatch(/routed event 1: "eventId" must look like evt_/);
  expect(reasons.get(noTargets)).toMatch(/routed event 0: "targets" must be a non-empty list/);
  await waitFor(async () => (await pendingIn(0)) === 0, { message: 'the invalid entries acknowledged' });
});

it('starts the deliveries of a routed entry larger than the worker has room for as slots free up, none deferred to the queue', async () => {
  // A worker with room for 8 deliveries (4 in flight, 4 waiting; 2 per webhook), an endpoint taking 20 ms.
  const small = await startHerald('partitions-paced', { partitions: 2, workers: 1, workerEnv: { HERALD_WORKER_CONCURRENCY: '4' } });
  const slow = await startReceiver(async () => (await new Promise((resolve) => setTimeout(resolve, 20)), { status: 200 }));
  try {
    const webhook = await createWebhook(small.client, { tenant: 'paced', url: slow.url, events: ['batch.*'] });
    const partition = small.layout.ofWebhook(webhook.id);
    const events = Array.from({ length: 100 }, (_, n) => routedEvent('paced', n));
    await small.redis.xadd(small.layout.keys(partition).eventsStream, '*', ...routedEntry(events.map((event) => [event, [webhook.id]])));
    await slow.waitForRequests(100, { timeoutMs: 30_000 });
    await small.waitForSettled();
    expect(new Set(slow.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(events.map((e) => e.id)));
    // Waiting in the slots past their patience would have made them jobs.
    const jobs = await small.queues[partition]!.getJobCounts('completed', 'delayed', 'waiting', 'active', 'failed');
    expect(Object.values(jobs).reduce((sum, n) => sum + n, 0)).toBe(0);
  } finally {
    await small.stop();
    await slow.close();
  }
}, 60_000);

it('refuses to start with another partition count than the installation was made with, saying why', async () => {
  const proc = spawnApp('worker', { REDIS_URL: testRedisUrl(), HERALD_PREFIX: herald.prefix, HERALD_PARTITIONS: '2' });
  expect(await proc.exited).toBe(1);
  expect(proc.output()).toMatch(/HERALD_PARTITIONS: is 2, but the installation under prefix "[^"]+" was created with 4 partition\(s\)/);
});
