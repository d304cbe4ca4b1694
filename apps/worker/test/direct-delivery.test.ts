// Deliveries straight from the stream across real processes: one endpoint never stalls the others,
// a killed worker's entries are claimed and finished without repeating what was settled, and an
// entry held a long time by a slow endpoint is not taken by another worker meanwhile.
import { PayloadStore, deliveryJob } from '@herald/shared';
import {
  createWebhook,
  publishBatch,
  receiverPool,
  startHerald,
  waitFor,
  type Herald,
  type ReceivedRequest,
} from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('direct-delivery', { workers: 0 });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

/** A receiver's answer held until `open()`; every request after that is answered at once. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, responder: async () => (await opened, { status: 200 }) };
}


const pendingEntries = async () => ((await herald.redis.xpending(herald.keys.eventsStream, 'fanout')) as [number])[0];
const ids = (requests: readonly ReceivedRequest[]) => requests.map((r) => String(r.headers['webhook-id']));

async function onlyWorker(env: Record<string, string> = {}) {
  await Promise.all(herald.workers.splice(0).map((w) => w.stop('SIGTERM')));
  return herald.startWorker(env);
}

it('keeps delivering to a healthy endpoint while another hangs, holding no more than its cap for the hanging one', async () => {
  await onlyWorker({ HERALD_WORKER_CONCURRENCY: '20', HERALD_WEBHOOK_MAX_IN_FLIGHT: '4' });
  const hanging = gate();
  const stuck = await receivers.start(hanging.responder);
  const healthy = await receivers.start();
  const tenant = 'neighbours';
  // Deliveries it cannot take wait in the queue until its oldest request times out (5 s).
  await createWebhook(herald.client, { tenant, url: stuck.url, timeoutMs: 5000, circuitBreaker: { enabled: false } });
  await createWebhook(herald.client, { tenant, url: healthy.url });
  const published = await publishBatch(herald.client, tenant, 'burst.event', 100);

  // All 100 reach the healthy endpoint while the hanging one still holds its first requests.
  await healthy.waitForRequests(100, { timeoutMs: 20_000 });
  expect(new Set(ids(healthy.requests))).toEqual(new Set(published));
  expect(stuck.requests.length).toBeLessThanOrEqual(4);
  // What the hanging endpoint could not take waits in the queue, its attempt not spent.
  await waitFor(async () => ((await herald.queue.getJobCounts('delayed')).delayed ?? 0) > 0, { message: 'deferred deliveries in the queue' });

  hanging.open();
  await stuck.waitForRequests(100, { timeoutMs: 40_000 });
  await herald.waitForSettled(40_000);
  expect(new Set(ids(stuck.requests))).toEqual(new Set(published));
  expect(stuck.requests.map((r) => r.headers['x-herald-attempt'])).toEqual(stuck.requests.map(() => '1'));
  await waitFor(async () => (await pendingEntries()) === 0, { message: 'every entry acknowledged' });
}, 90_000);

it('loses nothing when a worker is killed with deliveries in flight; only those in flight are sent twice', async () => {
  const victim = await onlyWorker();
  const held = gate();
  const hook = await receivers.start(held.responder);
  const tenant = 'killed';
  await createWebhook(herald.client, { tenant, url: hook.url });
  const published = await publishBatch(herald.client, tenant, 'crash.event', 30);
  // Up to the default cap is in flight at the receiver (held there), the rest waits in the worker or the queue.
  await hook.waitForRequests(10);
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBeNull();
  // Once its connections are closed, the receiver has read all the worker sent: every request it
  // has was in flight when the worker died (none was answered).
  await waitFor(() => hook.openConnections() === 0, { message: 'the dead worker\'s connections closed at the receiver' });
  const inFlight = new Set(ids(hook.requests));
  herald.workers.splice(herald.workers.indexOf(victim), 1);
  held.open();

  await herald.startWorker();
  // Deliveries the killed worker deferred wait in the queue until its stalled requests' timeout (10 s).
  await waitFor(() => new Set(ids(hook.requests)).size >= published.length, { timeoutMs: 40_000, message: 'every event at the receiver' });
  await herald.waitForSettled(30_000);
  await waitFor(async () => (await pendingEntries()) === 0, { message: 'every entry acknowledged' });
  const received = ids(hook.requests);
  expect(new Set(received)).toEqual(new Set(published));
  const twice = received.filter((id, i) => received.indexOf(id) !== i);
  expect(twice.filter((id) => !inFlight.has(id))).toEqual([]);
}, 90_000);

it('skips, when it claims an entry, the deliveries the consumer that died had settled', async () => {
  await Promise.all(herald.workers.splice(0).map((w) => w.stop('SIGTERM')));
  const settled = await receivers.start();
  const unsettled = await receivers.start();
  const tenant = 'half-done';
  const first = await createWebhook(herald.client, { tenant, url: settled.url });
  await createWebhook(herald.client, { tenant, url: unsettled.url });
  const [eventId] = await publishBatch(herald.client, tenant, 'half.event', 1);
  // A consumer reads the entry, settles the delivery to the first webhook, and dies.
  const read = (await herald.redis.xreadgroup('GROUP', 'fanout', 'ghost', 'COUNT', 10, 'STREAMS', herald.keys.eventsStream, '>')) as [string, unknown[]][];
  expect(read[0]![1]).toHaveLength(1);
  await herald.redis.hset(herald.keys.settledDeliveries(eventId!), first.id, '1');

  await herald.startWorker();
  await unsettled.waitForRequests(1, { timeoutMs: 15_000 });
  await waitFor(async () => (await pendingEntries()) === 0, { message: 'the claimed entry acknowledged' });
  expect(ids(unsettled.requests)).toEqual([eventId]);
  expect(settled.requests).toHaveLength(0);
  expect(await herald.redis.exists(herald.keys.settledDeliveries(eventId!))).toBe(0);
});

it('keeps an entry whose endpoint is slower than the claim delay from being claimed by another worker', async () => {
  await onlyWorker();
  // Workers claim entries idle for 1.5 s (HERALD_CLAIM_IDLE_MS in the tests); this endpoint answers after 4 s.
  const slow = await receivers.start(async () => {
    await new Promise((resolve) => setTimeout(resolve, 4000));
    return { status: 200 };
  });
  await createWebhook(herald.client, { tenant: 'slow', url: slow.url, circuitBreaker: { enabled: false } });
  const published = await publishBatch(herald.client, 'slow', 'slow.event', 3);
  await slow.waitForRequests(3);
  // Meanwhile the test claims as another worker would, as often as it can.
  const claimedByOther: string[] = [];
  await waitFor(
    async () => {
      const [, entries] = (await herald.redis.xautoclaim(herald.keys.eventsStream, 'fanout', 'other-worker', 1500, '0-0', 'COUNT', 10)) as [string, [string, unknown][]];
      claimedByOther.push(...entries.map(([id]) => id));
      return (await pendingEntries()) === 0;
    },
    { timeoutMs: 15_000, intervalMs: 50, message: 'the entries acknowledged' },
  );
  expect(claimedByOther).toEqual([]);
  expect(ids(slow.requests).sort()).toEqual([...published].sort());
});

it('sends a claimed delivery once when the worker that died had already queued its job', async () => {
  await Promise.all(herald.workers.splice(0).map((w) => w.stop('SIGTERM')));
  const hook = await receivers.start();
  const tenant = 'queued-then-died';
  const webhook = await createWebhook(herald.client, { tenant, url: hook.url });
  const [eventId] = await publishBatch(herald.client, tenant, 'queued.event', 1);
  // A consumer reads the entry, queues the delivery's retry (its attempt failed; the event's payload
  // stored first, as the settler does), and dies before it could write that down and acknowledge
  // the entry.
  const read = (await herald.redis.xreadgroup('GROUP', 'fanout', 'ghost-2', 'COUNT', 10, 'STREAMS', herald.keys.eventsStream, '>')) as [string, unknown[]][];
  expect(read[0]![1]).toHaveLength(1);
  const event = (await herald.client.get(`/v1/events/${eventId}`)).body.event;
  const retry = { strategy: 'exponential', maxRetries: 3, initialDelayMs: 1000, backoffMultiplier: 2, maxDelayMs: 60_000, jitter: 0 } as const;
  const job = deliveryJob(event, { id: webhook.id, retry }, { attemptsBefore: 1, delayMs: 2000 });
  await new PayloadStore(herald.redis, herald.keys).retain([event]);
  await herald.queue.add(job.name, job.data, job.opts);

  await herald.startWorker();
  await hook.waitForRequests(1, { timeoutMs: 15_000 });
  await herald.waitForSettled();
  await waitFor(async () => (await pendingEntries()) === 0, { message: 'the claimed entry acknowledged' });
  expect(ids(hook.requests)).toEqual([eventId]);
  expect(hook.requests[0]!.headers['x-herald-attempt']).toBe('2');
});

it('leaves nothing of a webhook deleted while its deliveries are in flight: no open circuit, log or counters', async () => {
  await onlyWorker();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  // Failures that would open the circuit at once, answered only after the webhook is deleted.
  const failing = await receivers.start(async () => (await released, { status: 500 }));
  const tenant = 'deleted-in-flight';
  const webhook = await createWebhook(herald.client, { tenant, url: failing.url, circuitBreaker: { failureThreshold: 1 } });
  await publishBatch(herald.client, tenant, 'gone.event', 3);
  await failing.waitForRequests(3);

  const deleted = await herald.client.delete(`/v1/webhooks/${webhook.id}`);
  expect(deleted.status).toBe(204);
  release();
  await waitFor(async () => (await pendingEntries()) === 0, { message: 'every entry settled' });
  await herald.waitForSettled(20_000);

  expect(await herald.redis.sismember(herald.keys.openCircuits, webhook.id)).toBe(0);
  expect(await herald.redis.exists(herald.keys.circuit(webhook.id), herald.keys.attempts(webhook.id), herald.keys.webhookStats(webhook.id))).toBe(0);
}, 60_000);
