// The client against a real Herald: API and worker processes on the run's redis-server, real receivers.
import { receiverPool, startHerald, waitFor, type Herald as RunningHerald } from '@herald/testing';
import { Herald, HeraldApiError, type DeadLetter } from '../src';

let herald: RunningHerald;
let client: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('sdk-producer');
  client = new Herald({ baseUrl: herald.api.url, token: herald.api.token });
});

afterAll(async () => {
  await receivers.closeAll();
  await herald?.stop();
});

async function apiError(promise: Promise<unknown>): Promise<HeraldApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HeraldApiError)) throw new Error(`expected a HeraldApiError, got ${String(error)}`);
  return error;
}

describe('events', () => {
  it('publishes, once per idempotency key, and reads events back', async () => {
    const hook = await receivers.start();
    const webhook = await client.webhooks.create({ url: hook.url, events: ['sdk.*'] });
    const first = await client.events.publish({ type: 'sdk.created', data: { n: 1 }, id: 'sdk-key-1' });
    expect(first).toEqual({ id: expect.stringMatching(/^evt_/), duplicate: false });
    expect(await client.events.publish({ type: 'sdk.created', data: { n: 1 }, id: 'sdk-key-1' })).toEqual({ id: first.id, duplicate: true });

    // Without an id the SDK sends a key of its own: two calls are two events.
    const a = await client.events.publish({ type: 'sdk.keyless' });
    const b = await client.events.publish({ type: 'sdk.keyless' });
    expect(a.id).not.toBe(b.id);
    const listed = await client.events.list({ type: 'sdk.keyless', limit: 10 });
    expect(listed.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
    expect(listed[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);

    const batch = await client.events.publishBatch([{ type: 'sdk.batch', data: { i: 0 } }, { type: 'sdk.batch', data: { i: 1 }, id: 'sdk-batch-1' }]);
    expect(batch).toEqual([
      { id: expect.stringMatching(/^evt_/), duplicate: false },
      { id: expect.stringMatching(/^evt_/), duplicate: false },
    ]);

    await hook.waitForRequests(5);
    const detail = await waitFor(async () => {
      const found = await client.events.get(first.id);
      return found.deliveries.length > 0 && found;
    }, { message: 'the attempt at the first event' });
    expect(detail.event).toMatchObject({ id: first.id, type: 'sdk.created', data: { n: 1 } });
    expect(detail.deliveries[0]).toMatchObject({ webhookId: webhook.id, outcome: 'success', statusCode: 200 });
  });

  it('throws HeraldApiError with the problem and its errors[] for invalid input', async () => {
    const error = await apiError(client.events.publish({ type: 'Not Valid' }));
    expect(error).toMatchObject({ name: 'HeraldApiError', code: 'api_error', status: 400 });
    expect(error.problem).toMatchObject({ status: 400, title: 'Invalid request', errors: [{ field: 'type', message: expect.any(String) }] });
    expect(error.message).toContain('type:');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('webhooks', () => {
  it('creates, reads, lists, updates, tests, rotates, reports and deletes', async () => {
    const hook = await receivers.start();
    const created = await client.webhooks.create({ url: hook.url, events: ['hook.*'], name: 'sdk-hooks', retry: { maxRetries: 0 } });
    expect(created.secret).toMatch(/^whsec_/);
    expect(await client.webhooks.get(created.id)).toMatchObject({ id: created.id, name: 'sdk-hooks', enabled: true, retry: { maxRetries: 0 } });
    expect(await client.webhooks.get(created.id)).not.toHaveProperty('secret');
    expect((await client.webhooks.list()).map((w) => w.id)).toContain(created.id);
    expect(await client.webhooks.list({ tenant: 'nobody' })).toEqual([]);

    const updated = await client.webhooks.update(created.id, { description: 'from the SDK', headers: { 'x-team': 'billing' } });
    expect(updated).toMatchObject({ description: 'from the SDK', headers: { 'x-team': '********' } });
    expect(await client.webhooks.update(created.id, { description: null })).not.toHaveProperty('description');

    const tested = await client.webhooks.test(created.id);
    expect(tested).toMatchObject({ status: 'delivered', attempt: { outcome: 'success' } });
    expect(hook.requests.at(-1)!.headers['x-team']).toBe('billing');

    const rotated = await client.webhooks.rotateSecret(created.id, { graceMs: '1h' });
    expect(rotated.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt!)).toBeGreaterThan(Date.now());

    const deliveries = await client.webhooks.deliveries(created.id, { limit: 1, since: new Date(Date.now() - 60_000) });
    expect(deliveries).toEqual({ items: [expect.objectContaining({ eventType: 'herald.test', outcome: 'success' })], next: null });
    expect(await client.webhooks.stats(created.id)).toMatchObject({ total: 1, succeeded: 1, successRate: 1, deliveryRate: 1, lifetime: { success: 1 } });
    expect((await client.webhooks.get(created.id)).circuit).toEqual({ state: 'closed' });
    expect(await client.webhooks.defaults()).toMatchObject({ tenant: 'default', events: ['*'], retry: { maxRetries: 3, initialDelayMs: 1000 }, timeoutMs: 10_000 });

    const conflict = await apiError(client.webhooks.create({ url: hook.url, name: 'sdk-hooks' }));
    expect(conflict.status).toBe(409);
    await client.webhooks.delete(created.id);
    const gone = await apiError(client.webhooks.get(created.id));
    expect(gone).toMatchObject({ status: 404, problem: { title: 'Not found' } });
  });
});

describe('ordered delivery', () => {
  it('sets ordering, reads the lines, and skips a blocked head', async () => {
    const delivered: number[] = [];
    const hook = await receivers.start((request) => {
      const { n } = (JSON.parse(request.body) as { data: { n: number } }).data;
      if (n === 1) return { status: 503, body: 'not this one' };
      delivered.push(n);
      return { status: 200 };
    });
    const { id } = await client.webhooks.create({
      url: hook.url,
      events: ['line.*'],
      retry: { maxRetries: 1, initialDelayMs: 20, jitter: 0 },
      circuitBreaker: { enabled: false },
    });
    const ordering = { mode: 'fifo', key: 'data.line', onExhausted: 'block' } as const;
    expect(await client.webhooks.update(id, { ordering })).toMatchObject({ ordering });
    await client.events.publishBatch([0, 1, 2, 3].map((n) => ({ type: 'line.step', data: { line: 'a', n } })));

    const blocked = await waitFor(async () => {
      const status = await client.webhooks.fifo(id);
      return status.blocked === 1 && status;
    }, { message: 'line a blocked' });
    expect(blocked).toMatchObject({ ordering, deliveries: 3, lines: 1, inFlight: 0, oldestHeadAt: expect.any(String) });
    const [line] = blocked.blockedLines;
    expect(line).toEqual({ key: 'a', eventId: expect.stringMatching(/^evt_/), deadLetterId: `${line!.eventId}.${id}`, since: expect.any(String), error: expect.stringMatching(/^fifo_blocked: /) });
    expect(delivered).toEqual([0]);

    const keyless = await apiError(client.webhooks.skipFifoHead(id));
    expect(keyless).toMatchObject({ status: 400, problem: { errors: [{ field: 'key', message: expect.stringContaining('data.line') }] } });
    expect((await apiError(client.webhooks.skipFifoHead(id, { key: 'b' }))).status).toBe(409);
    expect(await client.webhooks.skipFifoHead(id, { key: 'a' })).toEqual({ key: 'a', skippedEventId: line!.eventId, deadLetterId: line!.deadLetterId });
    await waitFor(() => delivered.length === 3, { message: 'the rest of line a' });
    expect(delivered).toEqual([0, 2, 3]);
    expect(await client.webhooks.fifo(id)).toMatchObject({ deliveries: 0, blocked: 0, blockedLines: [] });

    expect(await client.webhooks.update(id, { ordering: null })).not.toHaveProperty('ordering');
    expect((await apiError(client.webhooks.skipFifoHead(id, { key: 'a' }))).status).toBe(409);
  });
});

describe('dead letters', () => {
  let webhookId: string;
  let parked: DeadLetter[];

  beforeAll(async () => {
    const hook = await receivers.start(() => ({ status: 400, body: 'refused' }));
    webhookId = (await client.webhooks.create({ url: hook.url, events: ['parcel.*'], retry: { maxRetries: 0 } })).id;
    await client.events.publishBatch([1, 2, 3].map((n) => ({ type: 'parcel.lost', data: { n } })));
    parked = await waitFor(async () => {
      const page = await client.deadLetters.list({ webhookId });
      return page.items.length === 3 && page.items;
    }, { message: 'three dead letters' });
  });

  it('lists a page at a time and iterates over every page', async () => {
    const first = await client.deadLetters.list({ webhookId, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.next).toEqual(expect.any(String));
    const second = await client.deadLetters.list({ webhookId, limit: 2, cursor: first.next! });
    expect(second).toEqual({ items: [expect.objectContaining({ webhookId })], next: null });

    const pages = [];
    for await (const page of client.deadLetters.pages({ webhookId, limit: 1, type: 'parcel.lost', since: new Date(Date.now() - 60_000) })) pages.push(page);
    expect(pages.map((p) => p.items.length)).toEqual([1, 1, 1]);
    expect(pages.flatMap((p) => p.items.map((d) => d.id)).sort()).toEqual(parked.map((d) => d.id).sort());
  });

  it('reads one with its attempts, replays, recovers and purges', async () => {
    const [one, two, three] = parked as [DeadLetter, DeadLetter, DeadLetter];
    const detail = await client.deadLetters.get(one.id);
    expect(detail).toMatchObject({ id: one.id, lastStatusCode: 400, attemptLog: [expect.objectContaining({ outcome: 'dead_letter' })] });

    expect(await client.deadLetters.replay({ ids: [one.id, 'evt_missing.wh_missing'] })).toEqual({
      replayed: [one.id],
      skipped: [{ id: 'evt_missing.wh_missing', reason: 'not found' }],
    });
    await client.deadLetters.purge(two.id);
    expect((await apiError(client.deadLetters.get(two.id))).status).toBe(404);

    const recovered = await client.webhooks.recover(webhookId, { since: new Date(Date.now() - 60_000) });
    expect(recovered.replayed).toContain(three.id);
    // The endpoint still refuses: the replays are parked again.
    await waitFor(async () => (await client.deadLetters.list({ webhookId })).items.length === 2, { message: 'the replays parked again' });
  });
});

it('reads the overall statistics (admin token)', async () => {
  const stats = await client.stats();
  expect(stats.deliveries.attempts).toBeGreaterThan(0);
  expect(stats).toMatchObject({ queue: expect.any(Object), stream: { length: expect.any(Number) } });
});
