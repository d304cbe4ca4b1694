// Scaling out and in: a worker added mid-run takes load; a worker stopped with SIGTERM mid-run
// loses nothing and duplicates nothing.
import { createWebhook, startHerald, startReceiver, type Herald, type Receiver } from '@herald/testing';

let herald: Herald;
let hook: Receiver;

beforeAll(async () => {
  herald = await startHerald('scaling', { workers: 0 });
  hook = await startReceiver();
});

afterAll(async () => {
  await herald?.stop();
  await hook?.close();
});

async function publishMany(tenant: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const events = Array.from({ length: Math.min(1000, count - start) }, (_, i) => ({ tenant, type: 'scale.event', data: { n: start + i } }));
    const response = await herald.client.post('/v1/events/batch', { events });
    expect(response.status).toBe(202);
    ids.push(...(response.body.events as { id: string }[]).map((e) => e.id));
  }
  return ids;
}

const delivered = async (metricsUrl: string) =>
  Number(/^herald_deliveries_total\{outcome="success"\} (\d+)/m.exec(await (await fetch(`${metricsUrl}/metrics`)).text())?.[1] ?? 0);

it('delivers every one of 5,000 events exactly once while one of two workers is stopped with SIGTERM', async () => {
  await createWebhook(herald.client, { tenant: 'drain-run', url: hook.url, events: ['scale.*'] });
  const leaving = await herald.startWorker();
  const staying = await herald.startWorker();
  const published = await publishMany('drain-run', 5000);
  await hook.waitForRequests(500, { timeoutMs: 30_000 });
  herald.workers.splice(herald.workers.indexOf(leaving), 1);
  expect(await leaving.stop('SIGTERM')).toBe(0);
  expect(leaving.logs().some((line) => line.msg === 'herald worker stopped' && line.drained === true)).toBe(true);

  await hook.waitForRequests(5000, { timeoutMs: 60_000 });
  await herald.waitForSettled();
  const ids = hook.requests.map((r) => String(r.headers['webhook-id']));
  expect(ids).toHaveLength(5000);
  expect(new Set(ids).size).toBe(5000);
  expect(new Set(ids)).toEqual(new Set(published));
  expect(await delivered(staying.metricsUrl)).toBeGreaterThan(0);
}, 120_000);

it('a worker added during a run picks up part of the load', async () => {
  hook.requests.length = 0;
  await createWebhook(herald.client, { tenant: 'scale-out', url: hook.url, events: ['scale.*'] });
  await Promise.all(herald.workers.splice(0).map((w) => w.stop('SIGTERM')));
  const first = await herald.startWorker();
  await publishMany('scale-out', 4000);
  await hook.waitForRequests(200, { timeoutMs: 30_000 });
  const added = await herald.startWorker();
  await hook.waitForRequests(4000, { timeoutMs: 60_000 });
  await herald.waitForSettled();
  expect(new Set(hook.requests.map((r) => r.headers['webhook-id'])).size).toBe(4000);
  const byAdded = await delivered(added.metricsUrl);
  const byFirst = await delivered(first.metricsUrl);
  expect(byAdded).toBeGreaterThan(0);
  expect(byAdded + byFirst).toBe(4000);
}, 120_000);
