// Events accepted while no worker reads are never trimmed away: past the stream's limit the API
// refuses (503) instead, and every event it accepted is delivered once a worker starts.
import { createWebhook, receiverPool, startHerald, waitFor, type Herald } from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('stream-backlog', { workers: 0, env: { HERALD_STREAM_MAXLEN: '1000', HERALD_METRICS_INTERVAL_MS: '250' } });
});

/** The API's reading of a gauge without labels. */
async function gauge(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${herald.api.url}/metrics`)).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : undefined;
}

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

it('delivers every event answered 202 while the workers were down, refusing the rest with 503', async () => {
  const receiver = await receivers.start();
  await createWebhook(herald.client, { tenant: 'backlog', url: receiver.url, events: ['order.*'] });

  const accepted: string[] = [];
  let refused = 0;
  for (let batch = 0; batch < 30; batch++) {
    const events = Array.from({ length: 100 }, (_, i) => ({ tenant: 'backlog', type: 'order.created', data: { n: batch * 100 + i } }));
    const response = await herald.client.post('/v1/events/batch', { events });
    if (response.status === 202) accepted.push(...(response.body.events as { id: string }[]).map((e) => e.id));
    else {
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ title: 'Backlog full' });
      refused += 1;
    }
  }
  expect(accepted).toHaveLength(1000);
  expect(refused).toBe(20);
  await waitFor(async () => (await gauge('herald_stream_lag')) === 1000, { message: 'herald_stream_lag at 1,000' });
  expect(await gauge('herald_stream_lag_limit')).toBe(1000);

  await herald.startWorker();
  await receiver.waitForRequests(accepted.length, { timeoutMs: 30_000 });
  await herald.waitForSettled();
  const delivered = receiver.requests.map((request) => String(request.headers['webhook-id']));
  expect(new Set(delivered)).toEqual(new Set(accepted));
  expect(delivered).toHaveLength(accepted.length);
  await waitFor(async () => (await gauge('herald_stream_lag')) === 0, { message: 'herald_stream_lag back to 0' });

  // Once read and acknowledged, the stream is trimmed back towards its history length.
  const more = Array.from({ length: 100 }, (_, n) => ({ tenant: 'backlog', type: 'order.created', data: { n } }));
  for (let i = 0; i < 10; i++) expect((await herald.client.post('/v1/events/batch', { events: more })).status).toBe(202);
  await waitFor(async () => (await herald.redis.xlen(herald.keys.eventsStream)) < 1200, { timeoutMs: 15_000, message: 'the stream trimmed below 1,200 entries' });
});
