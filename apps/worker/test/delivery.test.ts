// Publish → stream → fan-out → signed delivery, across real API and worker processes.
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  createWebhook,
  publish,
  receiverPool,
  startHerald,
  waitFor,
  type Herald,
  type Receiver,
} from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();


const FAST_RETRY = { initialDelayMs: 200, backoffMultiplier: 2, jitter: 0, maxRetries: 3 };

beforeAll(async () => {
  herald = await startHerald('delivery');
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

it('delivers a signed event that the standardwebhooks package verifies', async () => {
  const hook = await receivers.start();
  const { secret } = await createWebhook(herald.client, { tenant: 'signed', url: hook.url, events: ['invoice.paid'] });
  const eventId = await publish(herald.client, { tenant: 'signed', type: 'invoice.paid', data: { amount: 1250, currency: 'EUR' } });

  const [request] = await hook.waitForRequests(1);
  const headers = request!.headers as Record<string, string>;
  const verified = new StandardWebhook(secret).verify(request!.body, headers);
  expect(verified).toMatchObject({ id: eventId, type: 'invoice.paid', tenant: 'signed', data: { amount: 1250, currency: 'EUR' } });
  expect(headers['webhook-id']).toBe(eventId);
  expect(headers['content-type']).toBe('application/json');
  expect(headers['user-agent']).toMatch(/^Herald\/\d+\.\d+\.\d+/);
  expect(headers['x-herald-event']).toBe('invoice.paid');
  expect(headers['x-herald-attempt']).toBe('1');
  expect(headers['x-herald-delivery-id']).toMatch(new RegExp(`^${eventId}\\.wh_`));
  expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
  expect(() => new StandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request!.body, headers)).toThrow();
});

it('retries a receiver that fails twice, then stops after exactly 3 attempts with growing delays', async () => {
  const hook = await receivers.start((_req, n) => (n <= 2 ? { status: 503 } : { status: 200 }));
  await createWebhook(herald.client, { tenant: 'flaky', url: hook.url, retry: FAST_RETRY });
  const eventId = await publish(herald.client, { tenant: 'flaky', type: 'order.created' });

  const requests = await hook.waitForRequests(3);
  await herald.waitForSettled();
  expect(hook.requests).toHaveLength(3);
  expect(requests.map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId, eventId]);
  expect(requests.map((r) => r.headers['x-herald-attempt'])).toEqual(['1', '2', '3']);
  const firstGap = requests[1]!.receivedAt - requests[0]!.receivedAt;
  const secondGap = requests[2]!.receivedAt - requests[1]!.receivedAt;
  expect(firstGap).toBeGreaterThanOrEqual(180);
  expect(secondGap).toBeGreaterThanOrEqual(380);
  expect(secondGap).toBeGreaterThan(firstGap);
});

it('dead-letters after 1 + maxRetries attempts, and a replay delivers it once the receiver recovers', async () => {
  let healthy = false;
  const hook = await receivers.start(() => (healthy ? { status: 200 } : { status: 500, body: 'database down' }));
  const { id: webhookId } = await createWebhook(herald.client, { tenant: 'broken', url: hook.url, retry: { ...FAST_RETRY, maxRetries: 2 } });
  const eventId = await publish(herald.client, { tenant: 'broken', type: 'order.created', data: { n: 7 } });

  const deadLetter = await waitFor(async () => {
    const list = await herald.client.get(`/v1/dead-letters?webhookId=${webhookId}`);
    return list.body.data[0];
  }, { message: 'the dead letter' });
  expect(hook.requests).toHaveLength(3);
  expect(deadLetter).toMatchObject({ webhookId, attempts: 3, lastError: 'HTTP 500', lastStatusCode: 500, event: { id: eventId } });

  healthy = true;
  const replay = await herald.client.post('/v1/dead-letters/replay', { ids: [deadLetter.id] });
  expect(replay.body.replayed).toEqual([deadLetter.id]);
  await hook.waitForRequests(4);
  await herald.waitForSettled();
  expect(hook.requests).toHaveLength(4);
  expect(hook.requests[3]!.headers['webhook-id']).toBe(eventId);
  expect(hook.requests[3]!.headers['x-herald-delivery-id']).toBe(deadLetter.id);
  expect((await herald.client.get(`/v1/dead-letters?webhookId=${webhookId}`)).body.data).toEqual([]);
});

it('does not retry a 400: one attempt, straight to dead letters', async () => {
  const hook = await receivers.start(() => ({ status: 400, body: 'bad payload' }));
  const { id: webhookId } = await createWebhook(herald.client, { tenant: 'rejecting', url: hook.url, retry: FAST_RETRY });
  await publish(herald.client, { tenant: 'rejecting', type: 'order.created' });

  const deadLetter = await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${webhookId}`)).body.data[0], {
    message: 'the dead letter',
  });
  await herald.waitForSettled();
  expect(deadLetter).toMatchObject({ attempts: 1, lastStatusCode: 400 });
  expect(hook.requests).toHaveLength(1);
});

it('honours Retry-After on 429', async () => {
  const hook = await receivers.start((_req, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
  await createWebhook(herald.client, { tenant: 'limited', url: hook.url, retry: { ...FAST_RETRY, initialDelayMs: 10 } });
  await publish(herald.client, { tenant: 'limited', type: 'order.created' });
  const requests = await hook.waitForRequests(2);
  expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(950);
});

it('disables a webhook that answers 410 Gone', async () => {
  const hook = await receivers.start(() => ({ status: 410 }));
  const { id } = await createWebhook(herald.client, { tenant: 'gone', url: hook.url, retry: FAST_RETRY });
  await publish(herald.client, { tenant: 'gone', type: 'order.created' });
  await waitFor(async () => (await herald.client.get(`/v1/webhooks/${id}`)).body.enabled === false, { message: 'the webhook to be disabled' });
  await herald.waitForSettled();
  expect(hook.requests).toHaveLength(1);
});

it('routes by exact type, prefix.* and * across several webhooks', async () => {
  const exact = await receivers.start();
  const prefix = await receivers.start();
  const all = await receivers.start();
  const invoices = await receivers.start();
  const tenant = 'filtering';
  await createWebhook(herald.client, { tenant, url: exact.url, events: ['order.created'] });
  await createWebhook(herald.client, { tenant, url: prefix.url, events: ['order.*'] });
  await createWebhook(herald.client, { tenant, url: all.url, events: ['*'] });
  await createWebhook(herald.client, { tenant, url: invoices.url, events: ['invoice.*', 'nothing.matches'] });
  for (const type of ['order.created', 'order.refunded.partial', 'invoice.paid', 'user.signup']) {
    await publish(herald.client, { tenant, type });
  }
  await all.waitForRequests(4);
  await herald.waitForSettled();
  const types = (r: Receiver) => r.requests.map((q) => q.headers['x-herald-event']).sort();
  expect(types(exact)).toEqual(['order.created']);
  expect(types(prefix)).toEqual(['order.created', 'order.refunded.partial']);
  expect(types(all)).toEqual(['invoice.paid', 'order.created', 'order.refunded.partial', 'user.signup']);
  expect(types(invoices)).toEqual(['invoice.paid']);
});

it('sends nothing to a disabled or deleted webhook', async () => {
  const control = await receivers.start();
  const disabled = await receivers.start();
  const deleted = await receivers.start();
  const tenant = 'switched-off';
  await createWebhook(herald.client, { tenant, url: control.url });
  await createWebhook(herald.client, { tenant, url: disabled.url, enabled: false });
  const doomed = await createWebhook(herald.client, { tenant, url: deleted.url });
  expect((await herald.client.delete(`/v1/webhooks/${doomed.id}`)).status).toBe(204);
  for (let i = 0; i < 3; i++) await publish(herald.client, { tenant, type: 'order.created', data: { i } });
  await control.waitForRequests(3);
  await herald.waitForSettled();
  expect(disabled.requests).toHaveLength(0);
  expect(deleted.requests).toHaveLength(0);
});

it('delivers one event to five webhooks concurrently, all with the same webhook-id', async () => {
  const tenant = 'five';
  let arrived = 0;
  let releaseAll: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => (releaseAll = resolve));
  // Each receiver holds its answer until all five requests are in: only concurrent delivery passes on attempt 1.
  const hold = async () => {
    arrived += 1;
    if (arrived === 5) releaseAll();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      allArrived.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 5000))),
    ]);
    clearTimeout(timer);
    return { status: timedOut ? 500 : 200 };
  };
  const hooks = await Promise.all(Array.from({ length: 5 }, () => receivers.start(hold)));
  for (const hook of hooks) await createWebhook(herald.client, { tenant, url: hook.url });
  const eventId = await publish(herald.client, { tenant, type: 'fan.out' });
  await Promise.all(hooks.map((hook) => hook.waitForRequests(1)));
  await herald.waitForSettled();
  const requests = hooks.flatMap((hook) => hook.requests);
  expect(requests).toHaveLength(5);
  expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
  expect(new Set(requests.map((r) => r.headers['x-herald-delivery-id'])).size).toBe(5);
  expect(requests.map((r) => r.headers['x-herald-attempt'])).toEqual(['1', '1', '1', '1', '1']);
});

it('delivers an event a producer XADDs straight to the stream', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'direct', url: hook.url });
  const entryId = await herald.redis.xadd(
    herald.keys.eventsStream, '*', 'event', JSON.stringify({ type: 'direct.write', tenant: 'direct', data: { via: 'redis' } }),
  );
  const [request] = await hook.waitForRequests(1);
  expect(request!.headers['webhook-id']).toBe(`evt_s${entryId}`);
  expect(JSON.parse(request!.body)).toMatchObject({ type: 'direct.write', data: { via: 'redis' } });
});

it('accepts a directly written idempotency key once', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'direct-idem', url: hook.url });
  const write = (n: number) =>
    herald.redis.xadd(herald.keys.eventsStream, '*', 'event', JSON.stringify({ type: 'direct.write', tenant: 'direct-idem', id: 'same-key', data: { n } }));
  const first = await write(1);
  await write(2);
  await publish(herald.client, { tenant: 'direct-idem', type: 'direct.sentinel' });
  await waitFor(() => hook.requests.some((r) => r.headers['x-herald-event'] === 'direct.sentinel'), { message: 'the sentinel event' });
  await herald.waitForSettled();
  const direct = hook.requests.filter((r) => r.headers['x-herald-event'] === 'direct.write');
  expect(direct.map((r) => r.headers['webhook-id'])).toEqual([`evt_s${first}`]);
});

it('replays by filter only what was dead before the call, even when the replay fails again at once', async () => {
  const hook = await receivers.start(() => ({ status: 422 }));
  const { id: webhookId } = await createWebhook(herald.client, { tenant: 'refail', url: hook.url });
  await publish(herald.client, { tenant: 'refail', type: 'refail.event' });
  await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${webhookId}`)).body.data.length === 1, {
    message: 'the dead letter',
  });
  const replay = await herald.client.post('/v1/dead-letters/replay', { webhookId });
  expect(replay.body.replayed).toHaveLength(1);
  const again = await waitFor(async () => {
    const list = await herald.client.get(`/v1/dead-letters?webhookId=${webhookId}`);
    return list.body.data[0]?.replays === 1 && list.body.data;
  }, { message: 'the replay to fail again' });
  await herald.waitForSettled();
  expect(again).toHaveLength(1);
  expect(hook.requests).toHaveLength(2);
});

it('moves a malformed stream entry to the invalid stream with its reason, and acknowledges it', async () => {
  const badId = await herald.redis.xadd(herald.keys.eventsStream, '*', 'event', JSON.stringify({ type: 'a.b' }), 'eventId', 'evt_bad:id');
  const badJson = await herald.redis.xadd(herald.keys.eventsStream, '*', 'event', '{"type": "oops"');
  const badType = await herald.redis.xadd(herald.keys.eventsStream, '*', 'event', JSON.stringify({ type: 'NOT VALID' }));
  const noEvent = await herald.redis.xadd(herald.keys.eventsStream, '*', 'payload', 'hello');
  const invalid = await waitFor(async () => {
    const entries = (await herald.redis.xrange(herald.keys.invalidEventsStream, '-', '+')) as [string, string[]][];
    const byEntry = new Map(entries.map(([, fields]) => {
      const map = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])));
      return [map.entryId, map] as const;
    }));
    return [badJson, badType, noEvent, badId].every((id) => byEntry.has(id)) && byEntry;
  }, { message: 'four entries in the invalid stream' });
  expect(invalid.get(badId)?.reason).toMatch(/eventId/);
  expect(invalid.get(badJson)?.reason).toMatch(/not valid JSON/);
  expect(invalid.get(badType)?.reason).toMatch(/type: must be dotted lowercase/);
  expect(invalid.get(noEvent)?.reason).toMatch(/no "event" field/);
  expect(JSON.parse(invalid.get(noEvent)?.fields ?? '[]')).toEqual(['payload', 'hello']);
  const pending = (await herald.redis.xpending(herald.keys.eventsStream, 'fanout')) as [number, ...unknown[]];
  expect(pending[0]).toBe(0);
});
