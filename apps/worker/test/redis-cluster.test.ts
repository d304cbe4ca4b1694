// The core flow on a local 3-master Redis Cluster (Debian's redis-server, --cluster-enabled yes),
// with HERALD_PREFIX={herald} so that every key Herald and BullMQ use hashes to one slot.
import { Redis } from 'ioredis';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  createWebhook,
  publish,
  receiverPool,
  startHerald,
  startRedisCluster,
  waitFor,
  type Herald,
  type RunningRedisCluster,
} from '@herald/testing';

let cluster: RunningRedisCluster;
let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  herald = await startHerald('cluster', { redis: { url: cluster.url, cluster: true }, prefix: '{herald}', workers: 2, env: { HERALD_METRICS_INTERVAL_MS: '500' } });
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
  await cluster?.stop();
});

it('delivers events published through the API and written straight to the stream, signed, each once', async () => {
  const hook = await receivers.start();
  const { secret } = await createWebhook(herald.client, { tenant: 'acme', url: hook.url, events: ['order.*'] });
  const published = await Promise.all(Array.from({ length: 100 }, (_, n) => publish(herald.client, { tenant: 'acme', type: 'order.created', data: { n } })));
  const entryId = await herald.redis.xadd(herald.keys.eventsStream, '*', 'event', JSON.stringify({ type: 'order.shipped', tenant: 'acme' }));
  await publish(herald.client, { tenant: 'acme', type: 'invoice.paid' }); // not subscribed

  const expected = [...published, `evt_s${entryId}`];
  await hook.waitForRequests(expected.length, { timeoutMs: 30_000 });
  await herald.waitForSettled();
  const ids = hook.requests.map((request) => request.headers['webhook-id']);
  expect(ids.sort()).toEqual(expected.sort());
  for (const request of hook.requests) {
    expect(() => new StandardWebhook(secret).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
  }
});

it('retries, dead-letters, and replays a delivery', async () => {
  let healthy = false;
  const hook = await receivers.start(() => (healthy ? { status: 200 } : { status: 503 }));
  const retry = { initialDelayMs: 100, backoffMultiplier: 2, jitter: 0, maxRetries: 2 };
  const { id: webhookId } = await createWebhook(herald.client, { tenant: 'flaky', url: hook.url, retry });
  const eventId = await publish(herald.client, { tenant: 'flaky', type: 'order.created' });

  const deadLetter = await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${webhookId}`)).body.data[0], {
    timeoutMs: 20_000,
    message: 'the dead letter',
  });
  expect(deadLetter).toMatchObject({ webhookId, attempts: 3, lastStatusCode: 503, event: { id: eventId } });
  expect(hook.requests).toHaveLength(3);

  healthy = true;
  expect((await herald.client.post('/v1/dead-letters/replay', { ids: [deadLetter.id] })).body.replayed).toEqual([deadLetter.id]);
  await hook.waitForRequests(4);
  await herald.waitForSettled();
  expect(hook.requests[3]!.headers['webhook-id']).toBe(eventId);
  const log = await herald.client.get(`/v1/webhooks/${webhookId}/deliveries`);
  expect(log.body.data.map((attempt: { outcome: string }) => attempt.outcome)).toEqual(['success', 'dead_letter', 'retry', 'retry']);
});

it('reports readiness, the queue gauges and delivery counters from the cluster', async () => {
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  expect((await fetch(`${herald.api.url}/readyz`)).status).toBe(200);
  for (const worker of herald.workers) expect((await fetch(`${worker.metricsUrl}/readyz`)).status).toBe(200);
  const delivered = await Promise.all(
    herald.workers.map(async (worker) => metric(await (await fetch(`${worker.metricsUrl}/metrics`)).text(), 'herald_deliveries_total\\{outcome="success"\\}')),
  );
  expect(delivered.reduce((sum, n) => sum + n, 0)).toBe(102); // 101 events and one replay
  // The gauges are read on a timer: wait for a reading taken after the replay finished. The retries
  // are a failed job and the replay a completed one; deliveries that could not go straight from the
  // stream at once (a busy machine: the webhook at its in-flight cap) were completed jobs too, so the
  // completed gauge must match what BullMQ itself counts on the cluster.
  const gauges = (text: string) => ({
    completed: metric(text, 'herald_queue_jobs\\{state="completed"\\}'),
    failed: metric(text, 'herald_queue_jobs\\{state="failed"\\}'),
    waiting: metric(text, 'herald_queue_jobs\\{state="waiting"\\}'),
    deadLetters: metric(text, 'herald_dead_letters'),
    pending: metric(text, 'herald_stream_pending'),
  });
  let last = {};
  await waitFor(
    async () => {
      const { completed = 0 } = await herald.queue.getJobCounts('completed');
      last = { ...gauges(await (await fetch(`${herald.workers[0]!.metricsUrl}/metrics`)).text()), bullmqCompleted: completed };
      return completed >= 1 && JSON.stringify(last) === JSON.stringify({ completed, failed: 1, waiting: 0, deadLetters: 0, pending: 0, bullmqCompleted: completed });
    },
    { timeoutMs: 15_000, message: 'the gauges read from the cluster: the replay completed, the retries failed, nothing waiting, pending or dead' },
  ).catch((error: Error) => {
    // Which gauge stayed off, for whoever reads a failure.
    throw new Error(`${error.message}; last reading ${JSON.stringify(last)}`);
  });
});

it('keeps every key of Herald and BullMQ in the one slot of {herald}, on one master', async () => {
  const slots = new Set<number>();
  const keysPerNode: number[] = [];
  for (const node of cluster.nodes) {
    const direct = new Redis(node.url);
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await direct.scan(cursor, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      keysPerNode.push(keys.length);
      for (const key of keys) {
        expect(key.startsWith('{herald}:')).toBe(true);
        slots.add(Number(await direct.call('CLUSTER', 'KEYSLOT', key)));
      }
    } finally {
      direct.disconnect();
    }
  }
  expect(slots.size).toBe(1);
  expect(keysPerNode.filter((count) => count > 0)).toHaveLength(1);
  expect(Math.max(...keysPerNode)).toBeGreaterThan(10);
});
