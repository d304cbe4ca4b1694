// What operators see: the delivery log, statistics that agree with it, event history, test sends,
// dead letters with their attempts, and recovery.
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
const FAST_RETRY = { initialDelayMs: 50, backoffMultiplier: 1, jitter: 0, maxRetries: 2 };

beforeAll(async () => {
  herald = await startHerald('operations');
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});


interface Attempt {
  outcome: string;
  attempt: number;
  statusCode?: number;
  responseBody?: string;
  eventType: string;
  eventId: string;
  deliveryId: string;
  durationMs: number;
  timestamp: string;
}

it('keeps a delivery log whose statistics agree with it exactly', async () => {
  const hook = await receivers.start((_req, n) => (n % 3 === 1 ? { status: 500, body: 'x'.repeat(3000) } : { status: 200, body: 'fine' }));
  const { id } = await createWebhook(herald.client, { tenant: 'log', url: hook.url, retry: FAST_RETRY });
  for (let i = 0; i < 4; i++) await publish(herald.client, { tenant: 'log', type: i % 2 ? 'log.odd' : 'log.even', data: { i } });
  await waitFor(async () => (await herald.client.get(`/v1/webhooks/${id}/deliveries?outcome=success`)).body.data.length === 4, {
    message: 'four successful deliveries',
  });
  await herald.waitForSettled();

  const log = (await herald.client.get(`/v1/webhooks/${id}/deliveries?limit=1000`)).body.data as Attempt[];
  expect(log).toHaveLength(hook.requests.length);
  // Newest first, in the order attempts were recorded. Concurrent attempts of different deliveries
  // may be recorded a few ms apart from the order their clocks say they finished in; a delivery's
  // own attempts never overlap, so its retries come before its earlier attempts.
  const retried = log.filter((a) => a.attempt > 1);
  expect(retried.length).toBeGreaterThan(0);
  for (const { deliveryId } of retried) {
    const attempts = log.filter((a) => a.deliveryId === deliveryId).map((a) => a.attempt);
    expect(attempts).toEqual([...attempts].sort((a, b) => b - a));
    expect(attempts.at(-1)).toBe(1);
  }
  const failures = log.filter((a) => a.outcome !== 'success');
  expect(failures.length).toBeGreaterThan(0);
  expect(failures[0]!.statusCode).toBe(500);
  expect(failures[0]!.responseBody).toHaveLength(1024);
  expect((await herald.client.get(`/v1/webhooks/${id}/deliveries?outcome=failure`)).body.data).toHaveLength(failures.length);
  expect((await herald.client.get(`/v1/webhooks/${id}/deliveries?eventType=log.odd&outcome=success`)).body.data).toHaveLength(2);
  const firstPage = await herald.client.get(`/v1/webhooks/${id}/deliveries?limit=2`);
  const secondPage = await herald.client.get(`/v1/webhooks/${id}/deliveries?limit=2&offset=${firstPage.body.nextOffset}`);
  expect([...firstPage.body.data, ...secondPage.body.data]).toEqual(log.slice(0, 4));

  const stats = (await herald.client.get(`/v1/webhooks/${id}/stats`)).body;
  const durations = log.map((a) => a.durationMs).sort((a, b) => a - b);
  expect(stats).toMatchObject({
    total: log.length,
    succeeded: 4,
    failed: failures.length,
    lastSuccessAt: log.find((a) => a.outcome === 'success')!.timestamp,
    lastFailureAt: failures[0]!.timestamp,
    lifetime: { total: log.length, success: 4 },
    // Every event was delivered, though not every attempt succeeded.
    deliveryRate: 1,
    successRate: Math.round((4 / log.length) * 1000) / 1000,
  });
  expect(stats.successRate).toBeLessThan(1);
  expect(stats.averageDurationMs).toBeCloseTo(durations.reduce((s, d) => s + d, 0) / durations.length, 2);
  expect(stats.p95DurationMs).toBe(durations[Math.ceil(durations.length * 0.95) - 1]);
});

it('sends a test event to one webhook only and returns the attempt', async () => {
  const target = await receivers.start(() => ({ status: 202, body: 'got it' }));
  const bystander = await receivers.start();
  const { id } = await createWebhook(herald.client, { tenant: 'testing', url: target.url });
  await createWebhook(herald.client, { tenant: 'testing', url: bystander.url });
  const response = await herald.client.post(`/v1/webhooks/${id}/test`);
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ status: 'delivered', attempt: { statusCode: 202, responseBody: 'got it', outcome: 'success' } });
  expect(target.requests).toHaveLength(1);
  expect(JSON.parse(target.requests[0]!.body)).toMatchObject({ type: 'herald.test', data: { webhookId: id } });
  expect(bystander.requests).toHaveLength(0);
  await herald.client.patch(`/v1/webhooks/${id}`, { enabled: false });
  expect((await herald.client.post(`/v1/webhooks/${id}/test`)).status).toBe(409);
});

it('shows recent events with their deliveries, and counts by type', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'history', url: hook.url });
  const first = await publish(herald.client, { tenant: 'history', type: 'history.one', data: { n: 1 } });
  const second = await publish(herald.client, { tenant: 'history', type: 'history.two' });
  await hook.waitForRequests(2);
  await herald.waitForSettled();
  const recent = (await herald.client.get('/v1/events?limit=50')).body.data as { id: string }[];
  expect(recent.findIndex((e) => e.id === second)).toBeLessThan(recent.findIndex((e) => e.id === first));
  expect((await herald.client.get('/v1/events?type=history.one')).body.data.map((e: { id: string }) => e.id)).toEqual([first]);
  const detail = await herald.client.get(`/v1/events/${first}`);
  expect(detail.body).toMatchObject({ id: first, event: { type: 'history.one', data: { n: 1 } }, deliveries: [{ outcome: 'success', eventId: first }] });
  expect((await herald.client.get('/v1/events/evt_unknown')).status).toBe(404);
  const counts = (await herald.client.get('/v1/events/stats')).body.byType;
  expect(counts['history.one']).toBe(1);
  expect(counts['history.two']).toBe(1);
});

it('shows a dead letter with all its attempts, recovers a webhook since a time, and totals it all', async () => {
  let healthy = false;
  const hook = await receivers.start(() => ({ status: healthy ? 200 : 502 }));
  const { id } = await createWebhook(herald.client, { tenant: 'recover', url: hook.url, retry: FAST_RETRY });
  const since = new Date().toISOString();
  const eventId = await publish(herald.client, { tenant: 'recover', type: 'recover.me' });
  const deadLetter = await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data[0], {
    message: 'the dead letter',
  });
  const shown = (await herald.client.get(`/v1/dead-letters/${deadLetter.id}`)).body;
  expect(shown.attemptLog.map((a: Attempt) => a.attempt)).toEqual([3, 2, 1]);
  expect(shown.attemptLog.every((a: Attempt) => a.statusCode === 502 && a.deliveryId === deadLetter.id)).toBe(true);

  healthy = true;
  const recovered = await herald.client.post(`/v1/webhooks/${id}/recover`, { since });
  expect(recovered.status).toBe(202);
  expect(recovered.body.replayed).toEqual([deadLetter.id]);
  await hook.waitForRequests(4);
  expect(hook.requests[3]!.headers['webhook-id']).toBe(eventId);

  await herald.waitForSettled();
  // Its log: three failed attempts (the last dead-lettered), then the replay delivered. Of the
  // deliveries settled, one of two was delivered; of the attempts, one of four succeeded.
  expect((await herald.client.get(`/v1/webhooks/${id}/stats`)).body).toMatchObject({ total: 4, succeeded: 1, successRate: 0.25, deliveryRate: 0.5 });
  const stats = (await herald.client.get('/v1/stats')).body;
  expect(stats.events.lastHour).toBeGreaterThanOrEqual(1);
  expect(stats.deliveries.attempts).toBe(stats.deliveries.success + stats.deliveries.retry + stats.deliveries.deadLetter);
  expect(stats.deliveries.successRate).toBeGreaterThan(0);
  const totals = stats.deliveries;
  expect(totals.deliveryRate).toBe(Math.round((totals.success / (totals.success + totals.deadLetter)) * 10_000) / 10_000);
  expect(stats.deliveries.deliveryRate).toBeGreaterThan(stats.deliveries.successRate);
  expect(stats.operational.deliveries).toHaveProperty('deliveryRate');
  // Every delivery of this file happened within the hour: the per-minute series adds up to the totals.
  const series = totals.series as { success: number; retry: number; deadLetter: number }[];
  expect(series).toHaveLength(60);
  const add = (outcome: 'success' | 'retry' | 'deadLetter') => series.reduce((sum, minute) => sum + minute[outcome], 0);
  expect({ success: add('success'), retry: add('retry'), deadLetter: add('deadLetter') }).toEqual({ success: totals.success, retry: totals.retry, deadLetter: totals.deadLetter });
  expect(series.at(-1)!.success + series.at(-2)!.success).toBeGreaterThan(0);
  expect(stats.queue).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  expect(stats.stream.pending).toBe(0);
  // The only dead letter of this file was recovered and delivered.
  expect(stats.deadLetters).toBe(0);
});

it('counts Herald\'s own operational events and their deliveries apart from producers\' in /v1/stats', async () => {
  const down = await receivers.start(() => ({ status: 503 }));
  const ops = await receivers.start();
  const tenant = 'stats-split';
  await createWebhook(herald.client, { tenant, url: down.url, events: ['order.*'], retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 1 } });
  await createWebhook(herald.client, { tenant, url: ops.url, events: ['circuit_breaker.*'] });
  const before = (await herald.client.get('/v1/stats')).body;
  await publish(herald.client, { tenant, type: 'order.created' });
  await ops.waitForRequests(1);
  expect(JSON.parse(ops.requests[0]!.body).type).toBe('circuit_breaker.opened');

  // The order failed for good (dead letter), which opened the circuit; Herald reported both.
  const after = await waitFor(async () => {
    const stats = (await herald.client.get('/v1/stats')).body;
    const delivered = stats.operational.deliveries.success - before.operational.deliveries.success === 1;
    return delivered && stats.operational.events.lastHour - before.operational.events.lastHour >= 2 && stats;
  }, { message: 'both operational events and the delivery of one counted' });
  expect(after.deliveries.attempts - before.deliveries.attempts).toBe(1);
  expect(after.deliveries.deadLetter - before.deliveries.deadLetter).toBe(1);
  expect(after.deliveries.success).toBe(before.deliveries.success);
  expect(after.events.lastHour - before.events.lastHour).toBe(1);
  // circuit_breaker.opened and delivery.dead_lettered
  expect(after.operational.events.lastHour - before.operational.events.lastHour).toBe(2);
  expect(after.operational.deliveries.attempts - before.operational.deliveries.attempts).toBe(1);
});

it('keeps an event\'s own attempt list for an hour by default, not longer', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'retention', url: hook.url });
  const eventId = await publish(herald.client, { tenant: 'retention', type: 'kept.briefly' });
  await hook.waitForRequests(1);
  const ttl = await waitFor(async () => {
    const seconds = await herald.redis.ttl(herald.keys.eventAttempts(eventId));
    return seconds > 0 && seconds;
  }, { message: 'the event\'s attempt list, with its expiry' });
  expect(ttl).toBeLessThanOrEqual(3600);
  expect(ttl).toBeGreaterThan(3500);
});
