// Parking across real processes: while an endpoint's circuit is open its deliveries wait parked (no
// job each, the event's payload stored once), the endpoint sees only the probes, and once it answers
// again everything is delivered oldest first; a webhook's parking is bounded; a worker killed while
// deliveries are parked loses none of them.
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
const COOLDOWN_MS = 1500;

beforeAll(async () => {
  herald = await startHerald('parking', { workers: 0 });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

async function onlyWorker(env: Record<string, string> = {}) {
  await Promise.all(herald.workers.splice(0).map((w) => w.stop('SIGTERM')));
  return herald.startWorker(env);
}

const parked = (webhookId: string) => herald.redis.xlen(herald.keys.parked(webhookId));
const ids = (requests: readonly ReceivedRequest[]) => requests.map((r) => String(r.headers['webhook-id']));
const payloadKeys = async () => (await herald.redis.keys(`${herald.prefix}:payload:*`)).length;

/** An endpoint that fails until `recover()`, and a webhook whose circuit it opens after two failures. */
async function downEndpoint(tenant: string, extra: Record<string, unknown> = {}) {
  let healthy = false;
  const receiver = await receivers.start(() => ({ status: healthy ? 200 : 503 }));
  const { id } = await createWebhook(herald.client, {
    tenant, url: receiver.url, events: ['work.*'],
    retry: { maxRetries: 10, initialDelayMs: 50, backoffMultiplier: 1, jitter: 0 },
    circuitBreaker: { failureThreshold: 2, cooldownMs: COOLDOWN_MS },
    ...extra,
  });
  return { id, receiver, recover: () => (healthy = true) };
}

it('parks deliveries while the circuit is open, lets only probes through, and delivers them all oldest first once the endpoint answers', async () => {
  await onlyWorker();
  const down = await downEndpoint('parking');
  // Two failures open the circuit.
  const opening = await publishBatch(herald.client, 'parking', 'work.open', 2);
  await down.receiver.waitForRequests(2);
  await waitFor(async () => (await herald.redis.sismember(herald.keys.openCircuits, down.id)) === 1, { message: 'the circuit open' });

  // 300 more while it is open: parked, one small entry each, no job; the endpoint sees probes only.
  const published = await publishBatch(herald.client, 'parking', 'work.held', 300);
  await waitFor(async () => (await parked(down.id)) >= 300, { timeoutMs: 15_000, message: '300 deliveries parked' });
  const jobs = await herald.queue.getJobCounts('waiting', 'delayed', 'prioritized');
  expect((jobs.waiting ?? 0) + (jobs.delayed ?? 0) + (jobs.prioritized ?? 0)).toBeLessThanOrEqual(5);
  expect(await payloadKeys()).toBeGreaterThanOrEqual(300);
  const beforeProbe = down.receiver.requests.length;
  // A whole cool-down passes with one probe at most reaching the endpoint.
  await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 500));
  expect(down.receiver.requests.length - beforeProbe).toBeLessThanOrEqual(2);

  const recoveredAt = Date.now();
  down.recover();
  await waitFor(() => new Set(ids(down.receiver.requests.filter((r) => r.headers['x-herald-event'] === 'work.held'))).size === 300, {
    timeoutMs: COOLDOWN_MS + 30_000,
    message: 'every parked delivery delivered',
  });
  expect(Date.now() - recoveredAt).toBeLessThan(COOLDOWN_MS + 30_000);
  await herald.waitForSettled();
  // Oldest first: the successful deliveries of work.held came in the order they were published,
  // but for the probe, which goes ahead of them.
  const delivered = ids(down.receiver.requests.filter((r) => r.headers['x-herald-event'] === 'work.held' && r.receivedAt >= recoveredAt));
  const positions = delivered.map((id) => published.indexOf(id));
  const inversions = positions.filter((p, i) => i > 0 && p < (positions[i - 1] as number)).length;
  expect(inversions).toBeLessThanOrEqual(Math.ceil(published.length * 0.05));
  // Nothing waits any more: the parking, the payloads and the circuit are gone.
  expect(await parked(down.id)).toBe(0);
  expect(await herald.redis.sismember(herald.keys.parkedWebhooks, down.id)).toBe(0);
  await waitFor(async () => (await payloadKeys()) === 0, { message: 'no payload left' });
  expect(opening).toHaveLength(2);
});

it('dead-letters deliveries past a webhook\'s maxBacklog with backlog_full, and says so once', async () => {
  await onlyWorker();
  const ops = await receivers.start();
  const down = await downEndpoint('bounded', { maxBacklog: 5 });
  await createWebhook(herald.client, { tenant: 'bounded', url: ops.url, events: ['webhook.backlog_full'] });
  await publishBatch(herald.client, 'bounded', 'work.open', 2);
  await waitFor(async () => (await herald.redis.sismember(herald.keys.openCircuits, down.id)) === 1, { message: 'the circuit open' });

  const published = await publishBatch(herald.client, 'bounded', 'work.held', 12);
  const refused = await waitFor(async () => {
    const list = (await herald.client.get(`/v1/dead-letters?webhookId=${down.id}&limit=100`)).body.data as { id: string; lastError: string; event: { data: { n: number } } }[];
    const full = list.filter((d) => d.lastError === 'backlog_full');
    // All 14 deliveries (the two that opened the circuit, as retries, and the 12) parked or refused.
    return full.length === 14 - 5 && full;
  }, { timeoutMs: 15_000, message: 'the deliveries past the backlog dead-lettered' });
  // Five parked; the rest refused, each dead letter with its event's payload.
  expect(await parked(down.id)).toBe(5);
  expect(refused.every((d) => typeof d.event.data.n === 'number')).toBe(true);
  expect(refused.filter((d) => published.some((id) => d.id.startsWith(id))).length).toBeGreaterThanOrEqual(7);
  await ops.waitForRequests(1);
  // Time for a second one to arrive, were it sent: the check is that none is.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(ops.requests.map((r) => JSON.parse(r.body).type)).toEqual(['webhook.backlog_full']);
  expect(JSON.parse(ops.requests[0]!.body).data).toMatchObject({ webhookId: down.id, maxBacklog: 5 });

  // Purging a dead letter lets its payload go.
  const one = refused[0]!;
  const eventId = one.id.slice(0, one.id.lastIndexOf('.wh_'));
  expect(await herald.redis.exists(herald.keys.payload(eventId))).toBe(1);
  expect((await herald.client.delete(`/v1/dead-letters/${one.id}`)).status).toBe(204);
  expect(await herald.redis.exists(herald.keys.payload(eventId))).toBe(0);
});

it('loses no parked delivery when a worker is killed while they wait', async () => {
  const first = await onlyWorker();
  const down = await downEndpoint('killed');
  await publishBatch(herald.client, 'killed', 'work.open', 2);
  await waitFor(async () => (await herald.redis.sismember(herald.keys.openCircuits, down.id)) === 1, { message: 'the circuit open' });
  const published = await publishBatch(herald.client, 'killed', 'work.held', 200);
  await waitFor(async () => (await parked(down.id)) >= 100, { timeoutMs: 15_000, message: 'deliveries parked' });

  await first.stop('SIGKILL');
  herald.workers.splice(herald.workers.indexOf(first), 1);
  down.recover();
  await herald.startWorker();
  await waitFor(() => published.every((id) => ids(down.receiver.requests).includes(id)), {
    timeoutMs: COOLDOWN_MS + 45_000,
    message: () => `all 200 delivered after the kill (have ${new Set(ids(down.receiver.requests)).size})`,
  });
  await herald.waitForSettled(30_000);
  expect(await parked(down.id)).toBe(0);
});

it('skips the parked deliveries of a webhook disabled meanwhile, letting their payloads go, whatever its circuit says', async () => {
  await onlyWorker();
  const down = await downEndpoint('disabled');
  await publishBatch(herald.client, 'disabled', 'work.open', 2);
  await waitFor(async () => (await herald.redis.sismember(herald.keys.openCircuits, down.id)) === 1, { message: 'the circuit open' });
  const held = await publishBatch(herald.client, 'disabled', 'work.held', 50);
  await waitFor(async () => (await parked(down.id)) >= 50, { timeoutMs: 15_000, message: 'deliveries parked' });
  const seen = down.receiver.requests.length;

  expect((await herald.client.patch(`/v1/webhooks/${down.id}`, { enabled: false })).status).toBe(200);
  await waitFor(async () => (await parked(down.id)) === 0, { timeoutMs: 15_000, message: 'the parking emptied' });
  await herald.waitForSettled();
  expect(down.receiver.requests.length).toBe(seen);
  // A skipped job lets its payload go when BullMQ reports it completed, just after the queue empties.
  await waitFor(async () => (await herald.redis.exists(...held.map((id) => herald.keys.payload(id)))) === 0, {
    message: 'the skipped deliveries let their payloads go',
  });
});
