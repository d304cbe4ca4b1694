// Payload filters across real API and worker processes: an event a webhook's filter refuses is no
// delivery to it (no request, no attempt, no job) and is counted; one it lets through is delivered.
import { createWebhook, publish, receiverPool, startHerald, waitFor, type Herald } from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('filters');
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

/** The value of one sample in Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

it('delivers only the events a filter lets through, and counts the others in herald_events_filtered_total', async () => {
  const tenant = 'filtered';
  const filtered = await receivers.start();
  const everything = await receivers.start();
  const { id: filteredId } = await createWebhook(herald.client, {
    tenant, url: filtered.url, events: ['order.*'],
    filter: { data: { amount: { $gte: 100 }, currency: { $in: ['EUR', 'USD'] } } },
    // Refunds go through whatever their amount.
    eventFilters: { 'order.refunded': { data: { amount: { $exist: true } } } },
  });
  await createWebhook(herald.client, { tenant, url: everything.url, events: ['order.*'] });
  const worker = herald.workers[0]!;

  const small = await publish(herald.client, { tenant, type: 'order.paid', data: { amount: 50, currency: 'EUR' } });
  const otherCurrency = await publish(herald.client, { tenant, type: 'order.paid', data: { amount: 500, currency: 'GBP' } });
  const big = await publish(herald.client, { tenant, type: 'order.paid', data: { amount: 150, currency: 'EUR' } });
  const refund = await publish(herald.client, { tenant, type: 'order.refunded', data: { amount: 5, currency: 'GBP' } });

  // The unfiltered webhook gets all four: by then each event was fanned out to both webhooks.
  await everything.waitForRequests(4);
  await herald.waitForSettled();
  const received = filtered.requests.map((request) => request.headers['webhook-id']);
  expect(received.sort()).toEqual([big, refund].sort());

  // No attempt and no log line for the events refused.
  const log = await herald.client.get(`/v1/webhooks/${filteredId}/deliveries`);
  expect(log.body.data.map((attempt: { eventId: string }) => attempt.eventId).sort()).toEqual([big, refund].sort());
  for (const eventId of [small, otherCurrency]) {
    const detail = await herald.client.get(`/v1/events/${eventId}`);
    expect(detail.body.deliveries.map((d: { webhookId: string }) => d.webhookId)).not.toContain(filteredId);
    expect(detail.body.deliveries).toHaveLength(1);
  }
  const counts = await herald.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
  expect(counts).toMatchObject({ waiting: 0, delayed: 0, active: 0, failed: 0 });

  const metrics = await waitFor(async () => {
    const text = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    return sample(text, 'herald_events_filtered_total', { tenant }) === 2 && text;
  }, { message: 'two refused events counted for the tenant' });
  expect(sample(metrics, 'herald_deliveries_total', { outcome: 'success' })).toBe(6);
});

it('applies a changed filter to the events after the change', async () => {
  const tenant = 'refiltered';
  const hook = await receivers.start();
  const { id } = await createWebhook(herald.client, { tenant, url: hook.url, filter: { data: { n: 1 } } });
  await publish(herald.client, { tenant, type: 'x.y', data: { n: 1 } });
  await hook.waitForRequests(1);

  const changed = await herald.client.patch(`/v1/webhooks/${id}`, { filter: { data: { n: 2 } } });
  expect(changed.status).toBe(200);
  const refused = await publish(herald.client, { tenant, type: 'x.y', data: { n: 1 } });
  const passed = await publish(herald.client, { tenant, type: 'x.y', data: { n: 2 } });
  await hook.waitForRequests(2);
  await herald.waitForSettled();
  expect(hook.requests.map((request) => request.headers['webhook-id'])).not.toContain(refused);
  expect(hook.requests[1]!.headers['webhook-id']).toBe(passed);
  expect(hook.requests).toHaveLength(2);
});
