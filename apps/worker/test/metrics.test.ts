// Prometheus metrics on the API and on a worker move with real deliveries.
import {
  createWebhook,
  publish,
  receiverPool,
  startHerald,
  waitFor,
  type Herald,
} from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('metrics', { env: { HERALD_METRICS_INTERVAL_MS: '250' } });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

/** The value of one sample in Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();

it('counts ingest on the API and deliveries, latency, dead letters and open circuits on the worker', async () => {
  const ok = await receivers.start();
  const rejecting = await receivers.start(() => ({ status: 400 }));
  const down = await receivers.start(() => ({ status: 503 }));
  await createWebhook(herald.client, { tenant: 'm', url: ok.url, events: ['good.*'] });
  await createWebhook(herald.client, { tenant: 'm', url: rejecting.url, events: ['bad.*'] });
  await createWebhook(herald.client, {
    tenant: 'm', url: down.url, events: ['down.*'], circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 },
    // Its retry waits a minute in the queue: still delayed (not yet parked by its open circuit) when the gauges are read.
    retry: { maxRetries: 1, initialDelayMs: 60_000 },
  });
  const worker = herald.workers[0]!;
  const before = { api: await scrape(herald.api.url), worker: await scrape(worker.metricsUrl) };
  expect(sample(before.worker, 'herald_circuits_open')).toBe(0);

  for (let i = 0; i < 5; i++) await publish(herald.client, { tenant: 'm', type: 'good.event', data: { i } });
  await publish(herald.client, { tenant: 'm', type: 'bad.event' });
  await publish(herald.client, { tenant: 'm', type: 'down.event' });
  await ok.waitForRequests(5);
  await rejecting.waitForRequests(1);
  await down.waitForRequests(1);

  const api = await scrape(herald.api.url);
  expect(sample(api, 'herald_events_ingested_total', { source: 'http' })).toBe(7);

  // The receivers answered, but the worker may still be settling (acknowledging) an entry: the
  // gauges are snapshots on a timer, so wait for one taken after everything settled.
  const after = await waitFor(async () => {
    const text = await scrape(worker.metricsUrl);
    return sample(text, 'herald_dead_letters') === 1 && sample(text, 'herald_circuits_open') === 1 && sample(text, 'herald_stream_pending') === 0 && text;
  }, { message: 'the dead letter, the open circuit and no pending entry in the gauges' });
  expect(sample(after, 'herald_deliveries_total', { outcome: 'success' })).toBe(5);
  expect(sample(after, 'herald_deliveries_total', { outcome: 'dead_letter' })).toBe(1);
  expect(sample(after, 'herald_deliveries_total', { outcome: 'retry' })).toBe(1);
  expect(sample(after, 'herald_delivery_duration_seconds_count')).toBe(7);
  expect(sample(after, 'herald_event_to_delivery_seconds_count')).toBe(5);
  expect(sample(after, 'herald_queue_jobs', { state: 'delayed' })).toBe(1); // down.event's retry
  expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  // The API serves the same system gauges.
  await waitFor(async () => sample(await scrape(herald.api.url), 'herald_dead_letters') === 1, { message: 'the API gauge' });
  expect((await fetch(`${worker.metricsUrl}/readyz`)).status).toBe(200);
});
