// Delivery policies across real processes: outbound auth, templates, rate limits, circuit breakers,
// secret rotation, URL safety at delivery, tenants, and Herald's own operational events.
import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  apiClient,
  createWebhook,
  publish,
  receiverPool,
  startHerald,
  waitFor,
  type Herald,
  type Receiver,
} from '@herald/testing';

const TENANT_TOKEN = 'tenant-a-token-for-policies';
let herald: Herald;
const receivers = receiverPool();


beforeAll(async () => {
  herald = await startHerald('policies', { workers: 2, env: { HERALD_TENANT_TOKENS: `tenant-a:${TENANT_TOKEN}` } });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

interface ReceivedBody {
  type?: string;
  text?: string;
  data: Record<string, unknown>;
  [field: string]: unknown;
}
const bodies = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body) as ReceivedBody);

it('adds the configured outbound authentication and custom headers, with PUT', async () => {
  const bearer = await receivers.start();
  const apiKey = await receivers.start();
  const hmac = await receivers.start();
  const tenant = 'outbound-auth';
  await createWebhook(herald.client, { tenant, url: bearer.url, method: 'PUT', auth: { type: 'bearer', token: 'tok-123' }, headers: { 'X-Team': 'billing' } });
  await createWebhook(herald.client, { tenant, url: apiKey.url, auth: { type: 'api_key', apiKey: 'key-456', apiKeyHeader: 'X-Api-Key' } });
  await createWebhook(herald.client, {
    tenant, url: hmac.url, auth: { type: 'hmac', hmacSecret: 'hmac-secret-0123456789', hmacAlgorithm: 'sha512', hmacHeader: 'X-Signature' },
  });
  await publish(herald.client, { tenant, type: 'auth.check', data: { n: 1 } });
  const [b] = await bearer.waitForRequests(1);
  const [k] = await apiKey.waitForRequests(1);
  const [h] = await hmac.waitForRequests(1);
  expect(b!.method).toBe('PUT');
  expect(b!.headers.authorization).toBe('Bearer tok-123');
  expect(b!.headers['x-team']).toBe('billing');
  expect(k!.headers['x-api-key']).toBe('key-456');
  expect(h!.headers['x-signature']).toBe(`sha512=${createHmac('sha512', 'hmac-secret-0123456789').update(h!.body).digest('hex')}`);
  for (const request of [b!, k!, h!]) expect(request.headers['webhook-signature']).toMatch(/^v1,/);
});

it('renders templates and presets, and dead-letters a body over maxPayloadBytes with the reason', async () => {
  const slack = await receivers.start();
  const custom = await receivers.start();
  const tooBig = await receivers.start();
  const tenant = 'templates';
  await createWebhook(herald.client, { tenant, url: slack.url, template: 'slack' });
  await createWebhook(herald.client, {
    tenant, url: custom.url, template: '{"kind": {{event}}, "order": {{data.order.id}}, "note": "from {{tenant}}: {{data.note}}"}',
  });
  const { id: bigId } = await createWebhook(herald.client, { tenant, url: tooBig.url, template: '{"all": {{data}}}', maxPayloadBytes: 64 });
  await publish(herald.client, { tenant, type: 'order.shipped', data: { order: { id: 7 }, note: 'quote " and \\ backslash', pad: 'x'.repeat(100) } });
  await slack.waitForRequests(1);
  await custom.waitForRequests(1);
  expect(bodies(slack)[0]).toEqual({ text: expect.stringContaining('*order.shipped*') });
  expect(bodies(custom)[0]).toEqual({ kind: 'order.shipped', order: 7, note: 'from templates: quote " and \\ backslash' });
  const deadLetter = await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${bigId}`)).body.data[0], {
    message: 'the dead letter of the oversized body',
  });
  expect(deadLetter.lastError).toMatch(/more than maxPayloadBytes \(64\)/);
  expect(tooBig.requests).toHaveLength(0);
});

it('keeps a rate limit across two workers, delays instead of failing, and says so once per window', async () => {
  const limited = await receivers.start();
  const ops = await receivers.start();
  const tenant = 'rate';
  const { id } = await createWebhook(herald.client, { tenant, url: limited.url, events: ['burst.*'], rateLimit: { perSecond: 5, burst: 1 } });
  await createWebhook(herald.client, { tenant, url: ops.url, events: ['rate_limit.*'] });
  const response = await herald.client.post('/v1/events/batch', {
    events: Array.from({ length: 15 }, (_, i) => ({ tenant, type: 'burst.event', data: { i } })),
  });
  expect(response.status).toBe(202);
  const requests = await limited.waitForRequests(15, { timeoutMs: 20_000 });
  const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
  // 5 per second with a burst of 1: any 6 consecutive deliveries span at least a second (less timer slack).
  for (let i = 0; i + 5 < times.length; i++) expect(times[i + 5]! - times[i]!).toBeGreaterThanOrEqual(900);
  expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(2600);
  await herald.waitForSettled();
  expect(requests.map((r) => r.headers['x-herald-attempt'])).toEqual(requests.map(() => '1'));
  await ops.waitForRequests(1);
  expect(bodies(ops).map((b) => [b.type, b.data.webhookId])).toEqual([['rate_limit.exceeded', id]]);
  expect((await herald.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data).toEqual([]);
});

it('opens the circuit after consecutive failures, holds deliveries while open, probes, and closes on recovery', async () => {
  let healthy = false;
  const flaky = await receivers.start(() => ({ status: healthy ? 200 : 503 }));
  const ops = await receivers.start();
  const tenant = 'circuit';
  const { id } = await createWebhook(herald.client, {
    tenant, url: flaky.url, events: ['work.*'],
    retry: { maxRetries: 10, initialDelayMs: 20, backoffMultiplier: 1, jitter: 0 },
    circuitBreaker: { failureThreshold: 3, cooldownMs: 1500 },
  });
  await createWebhook(herald.client, { tenant, url: ops.url, events: ['circuit_breaker.*'] });
  await publish(herald.client, { tenant, type: 'work.first' });

  // Three quick failures open the circuit; the next attempt waits for the cool-down (a probe), not the 20 ms retry delay.
  const [, , third, probe] = await flaky.waitForRequests(4, { timeoutMs: 10_000 });
  expect(probe!.receivedAt - third!.receivedAt).toBeGreaterThanOrEqual(1400);
  // The failed probe re-opens it. New deliveries published now are held too: nothing reaches the
  // endpoint until the next probe, a whole cool-down later.
  for (let i = 0; i < 3; i++) await publish(herald.client, { tenant, type: 'work.more', data: { i } });
  const [, , , , secondProbe] = await flaky.waitForRequests(5, { timeoutMs: 10_000 });
  expect(secondProbe!.receivedAt - probe!.receivedAt).toBeGreaterThanOrEqual(1400);
  expect(flaky.requests).toHaveLength(5);
  healthy = true;
  // Whether or not the second probe was one of them, three work.more requests follow it.
  const afterProbe = () => flaky.requests.slice(5).filter((r) => r.headers['x-herald-event'] === 'work.more');
  await waitFor(() => afterProbe().length >= 3, {
    timeoutMs: 15_000,
    message: 'the held deliveries after recovery',
  });
  await herald.waitForSettled();
  // Held deliveries spent no attempts while held: at most the one that served as a probe failed once.
  const attempts = flaky.requests.filter((r) => r.headers['x-herald-event'] === 'work.more').map((r) => Number(r.headers['x-herald-attempt']));
  expect(attempts.filter((n) => n > 1).length).toBeLessThanOrEqual(1);
  expect(Math.max(...attempts)).toBeLessThanOrEqual(2);

  // Opened, then for each probe half-open and (if it failed) opened again, then closed. A probe's
  // half-open and the closing that follows are emitted a moment apart and delivered as separate
  // jobs, so they may arrive in either order: they are put in the order they happened.
  const events = await waitFor(() => {
    const seen = bodies(ops);
    const count = (type: string) => seen.filter((b) => b.type === type).length;
    const complete = count('circuit_breaker.closed') === 1 && count('circuit_breaker.half_open') === count('circuit_breaker.opened');
    return complete && seen;
  }, { message: 'circuit_breaker.closed, with a half-open probe for every opening, at the operations webhook' });
  const at = (b: ReceivedBody) => Date.parse(b.timestamp as string);
  const byTime = [...events].sort((a, b) => at(a) - at(b));
  expect(byTime[0]!.type).toBe('circuit_breaker.opened');
  expect(events.filter((b) => b.type === 'circuit_breaker.half_open').length).toBeGreaterThanOrEqual(1);
  // Timestamps have millisecond resolution: the closing is not earlier than anything else.
  const closedAt = at(events.find((b) => b.type === 'circuit_breaker.closed')!);
  expect(events.every((b) => at(b) <= closedAt)).toBe(true);
  expect(events.every((b) => b.data.webhookId === id)).toBe(true);
});

it('shows each webhook\'s circuit: open (since, next probe), half-open while the probe is out, closed again', async () => {
  let release: () => void = () => undefined;
  const probing = new Promise<void>((resolve) => (release = resolve));
  // Two failures open the circuit; the third request is the probe, held until the test lets it go.
  const hook = await receivers.start(async (_request, n) => {
    if (n <= 2) return { status: 503 };
    await probing;
    return { status: 200 };
  });
  const tenant = 'circuit-state';
  const { id } = await createWebhook(herald.client, {
    tenant, url: hook.url, events: ['state.*'], timeoutMs: 30_000,
    retry: { maxRetries: 5, initialDelayMs: 20, backoffMultiplier: 1, jitter: 0 },
    circuitBreaker: { failureThreshold: 2, cooldownMs: 2000 },
  });
  type Circuit = { state: string; openedAt?: string; nextProbeAt?: string };
  const circuitOf = async () => (await herald.client.get(`/v1/webhooks/${id}`)).body.circuit as Circuit;
  expect(await circuitOf()).toEqual({ state: 'closed' });

  const published = Date.now();
  await publish(herald.client, { tenant, type: 'state.changed' });
  const open = await waitFor(async () => {
    const circuit = await circuitOf();
    return circuit.state === 'open' && circuit;
  }, { message: 'the circuit open in GET /v1/webhooks/:id' });
  const openedAt = Date.parse(open.openedAt!);
  expect(openedAt).toBeGreaterThanOrEqual(published - 1000);
  expect(Date.parse(open.nextProbeAt!) - openedAt).toBe(2000);
  // The list says the same, and so does a webhook's answer to a change.
  const listed = (await herald.client.get(`/v1/webhooks?tenant=${tenant}`)).body.data as { id: string; circuit: Circuit }[];
  expect(listed.find((w) => w.id === id)!.circuit).toEqual(open);
  expect((await herald.client.patch(`/v1/webhooks/${id}`, { description: 'watched' })).body.circuit).toEqual(open);

  // After the cool-down the probe goes out, and is held: half-open, since the same opening.
  await hook.waitForRequests(3, { timeoutMs: 10_000 });
  const halfOpen = await waitFor(async () => {
    const circuit = await circuitOf();
    return circuit.state === 'half_open' && circuit;
  }, { message: 'the circuit half-open while the probe is out' });
  expect(halfOpen).toEqual({ state: 'half_open', openedAt: open.openedAt });

  release();
  await waitFor(async () => (await circuitOf()).state === 'closed', { message: 'the circuit closed after the probe succeeded' });
  expect(await circuitOf()).toEqual({ state: 'closed' });
});

it('signs with both secrets during a rotation grace period, each verifying alone', async () => {
  const hook = await receivers.start();
  const { id, secret: oldSecret } = await createWebhook(herald.client, { tenant: 'rotation', url: hook.url });
  const rotated = await herald.client.post(`/v1/webhooks/${id}/rotate-secret`, { graceMs: '1h' });
  expect(rotated.status).toBe(200);
  await publish(herald.client, { tenant: 'rotation', type: 'rotated.event' });
  const [request] = await hook.waitForRequests(1);
  const headers = request!.headers as Record<string, string>;
  expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
  expect(new StandardWebhook(rotated.body.secret).verify(request!.body, headers)).toBeTruthy();
  expect(new StandardWebhook(oldSecret).verify(request!.body, headers)).toBeTruthy();
});

it('does not let tenant A read, change or trigger tenant B\'s webhooks', async () => {
  const hookB = await receivers.start();
  const { id: webhookB } = await createWebhook(herald.client, { tenant: 'tenant-b', url: hookB.url, events: ['*'] });
  const asA = apiClient(herald.api.url, TENANT_TOKEN);
  expect((await asA.get(`/v1/webhooks/${webhookB}`)).status).toBe(404);
  expect((await asA.patch(`/v1/webhooks/${webhookB}`, { url: 'http://127.0.0.1:1/stolen' })).status).toBe(404);
  expect((await asA.post('/v1/events', { type: 'cross.tenant', tenant: 'tenant-b' })).status).toBe(403);
  const hookA = await receivers.start();
  await createWebhook(asA, { url: hookA.url, events: ['*'] });
  const fromA = (await asA.post('/v1/events', { type: 'cross.tenant' })).body.id;
  await hookA.waitForRequests(1);
  await herald.waitForSettled();
  expect(hookA.requests[0]!.headers['webhook-id']).toBe(fromA);
  expect(hookB.requests).toHaveLength(0);
});

describe('with a worker that refuses private targets', () => {
  let strict: Herald;
  beforeAll(async () => {
    strict = await startHerald('policies-strict', {
      workers: 1,
      workerEnv: { HERALD_ALLOW_PRIVATE_TARGETS: 'false' },
    });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it('refuses at delivery a target the API let through (as after DNS rebinding), without retrying', async () => {
    const hook = await receivers.start();
    // A name, not an IP literal: the refusal happens in the lookup the connection itself uses.
    const url = hook.url.replace('127.0.0.1', 'localhost');
    const { id } = await createWebhook(strict.client, { tenant: 'rebind', url, circuitBreaker: { enabled: false } });
    await publish(strict.client, { tenant: 'rebind', type: 'rebind.event' });
    const deadLetter = await waitFor(async () => (await strict.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data[0], {
      message: 'the refused delivery in dead letters',
    });
    expect(deadLetter).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/TARGET_REFUSED.*not public/) });
    expect(hook.requests).toHaveLength(0);
  });
});

describe('disabling a webhook that keeps failing', () => {
  let patient: Herald;
  beforeAll(async () => {
    patient = await startHerald('policies-disable', { workers: 1, workerEnv: { HERALD_DISABLE_AFTER_FAILING_MS: '1500' } });
  });
  afterAll(async () => {
    await patient?.stop();
  });

  it('disables it after the configured period and publishes webhook.disabled', async () => {
    const dead = await receivers.start(() => ({ status: 500 }));
    const ops = await receivers.start();
    const tenant = 'doomed';
    const { id } = await createWebhook(patient.client, {
      tenant, url: dead.url, events: ['tick.*'],
      retry: { maxRetries: 10, initialDelayMs: 200, backoffMultiplier: 1, jitter: 0 },
      circuitBreaker: { failureThreshold: 100 },
    });
    await createWebhook(patient.client, { tenant, url: ops.url, events: ['webhook.disabled', 'delivery.dead_lettered'] });
    await publish(patient.client, { tenant, type: 'tick.tock' });
    await waitFor(async () => (await patient.client.get(`/v1/webhooks/${id}`)).body.enabled === false, {
      timeoutMs: 15_000,
      message: 'the webhook to be disabled',
    });
    await ops.waitForRequests(1);
    expect(bodies(ops)[0]).toMatchObject({ type: 'webhook.disabled', data: { webhookId: id, reason: expect.stringMatching(/kept failing/) } });
    const failedFor = dead.requests.at(-1)!.receivedAt - dead.requests[0]!.receivedAt;
    expect(failedFor).toBeGreaterThanOrEqual(1400);
  });

  it('disables it just the same when its circuit breaker is switched off', async () => {
    const dead = await receivers.start(() => ({ status: 502 }));
    const { id } = await createWebhook(patient.client, {
      tenant: 'doomed-no-breaker', url: dead.url,
      retry: { maxRetries: 10, initialDelayMs: 200, backoffMultiplier: 1, jitter: 0 },
      circuitBreaker: { enabled: false },
    });
    await publish(patient.client, { tenant: 'doomed-no-breaker', type: 'tick.tock' });
    await waitFor(async () => (await patient.client.get(`/v1/webhooks/${id}`)).body.enabled === false, {
      timeoutMs: 15_000,
      message: 'the webhook to be disabled',
    });
    expect(dead.requests.length).toBeGreaterThanOrEqual(2);
  });
});
