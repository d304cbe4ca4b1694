// Ordered delivery (FIFO): per line, successful deliveries arrive in publish order — through random
// failures, retries, several workers and one killed with SIGKILL — and a head that spends its
// attempts is skipped (dead-lettered) or blocks its line until an operator acts.
import { createWebhook, receiverPool, startHerald, waitFor, type Herald, type ReceivedRequest } from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('fifo', { workers: 0 });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

interface Sent {
  key: string;
  seq: number;
}

/** Publishes events in order, `batch` at a time (each batch enters the stream in its order, after the one before). */
async function publishInOrder(on: Herald, tenant: string, events: readonly Sent[], batch = 1000): Promise<void> {
  for (let start = 0; start < events.length; start += batch) {
    const body = { events: events.slice(start, start + batch).map((data) => ({ tenant, type: 'order.changed', data })) };
    const response = await on.client.post('/v1/events/batch', body);
    if (response.status !== 202) throw new Error(`publish failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

function sentOf(request: ReceivedRequest): Sent {
  return (JSON.parse(request.body) as { data: Sent }).data;
}

/** Successful arrivals by key, in arrival order. */
function linesOf(arrivals: readonly Sent[]): Map<string, number[]> {
  const lines = new Map<string, number[]>();
  for (const { key, seq } of arrivals) {
    const line = lines.get(key);
    if (line) line.push(seq);
    else lines.set(key, [seq]);
  }
  return lines;
}

const FAST_RETRY = { maxRetries: 10, initialDelayMs: 20, backoffMultiplier: 2, maxDelayMs: 200, jitter: 0 };

/**
 * Three workers deliver `count` events over `keys` keys to a receiver failing 20 % of calls; one
 * worker is SIGKILLed once 30 % have arrived. Per key, successful arrivals must be in publish order.
 */
async function orderUnderFailures(on: Herald, tenant: string, count: number, keys: number): Promise<void> {
  const workers = await Promise.all([on.startWorker(), on.startWorker(), on.startWorker()]);
  const delivered: Sent[] = [];
  const hook = await receivers.start((request) => {
    if (Math.random() < 0.2) return { status: 500, body: 'random failure' };
    delivered.push(sentOf(request));
    return { status: 200 };
  });
  const { id } = await createWebhook(on.client, {
    tenant,
    url: hook.url,
    retry: FAST_RETRY,
    ordering: { mode: 'fifo', key: 'data.key', onExhausted: 'skip' },
    // The receiver's failures are the test's: the circuit must not open on them.
    circuitBreaker: { enabled: false },
  });
  // With partitions, a FIFO webhook lives where its tenant's events are ingested.
  expect(on.layout.ofWebhook(id)).toBe(on.layout.ofOrderedTenant(tenant));
  const events = Array.from({ length: count }, (_, seq) => ({ key: `k${seq % keys}`, seq }));
  const publishing = publishInOrder(on, tenant, events);

  await waitFor(() => delivered.length >= count * 0.3, { timeoutMs: 90_000, message: `${count * 0.3} deliveries before the kill` });
  const victim = workers[0]!;
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBeNull();
  await publishing;

  const distinct = () => new Set(delivered.map((d) => d.seq)).size;
  await waitFor(() => distinct() >= events.length, { timeoutMs: 180_000, message: `all ${events.length} events delivered (${distinct()} so far)` });

  const lines = linesOf(delivered);
  expect(lines.size).toBe(keys);
  let inversions = 0;
  let duplicates = 0;
  for (const arrivals of lines.values()) {
    for (let i = 1; i < arrivals.length; i++) {
      if (arrivals[i] === arrivals[i - 1]) duplicates += 1;
      else if ((arrivals[i] as number) < (arrivals[i - 1] as number)) inversions += 1;
    }
  }
  expect(inversions).toBe(0);
  // A duplicate is a head the killed worker had in flight (delivered, not yet settled): at most one per line, right after itself.
  expect(duplicates).toBeLessThanOrEqual(keys);
  expect(delivered.length).toBe(events.length + duplicates);
  // Nothing waits any more: every line is empty.
  await waitFor(async () => (await on.client.get(`/v1/webhooks/${id}/fifo`)).body.deliveries === 0, { message: 'every line empty' });
  expect((await on.client.get(`/v1/webhooks/${id}/fifo`)).body).toMatchObject({ deliveries: 0, lines: 0, blocked: 0 });
  await Promise.all(on.workers.splice(0).map((worker) => worker.stop('SIGTERM')));
}

it('delivers 10,000 events over 100 keys in publish order per key, with 20 % failures, three workers and one SIGKILLed', async () => {
  await orderUnderFailures(herald, 'fifo-order', 10_000, 100);
}, 300_000);

describe('on four partitions', () => {
  let partitioned: Herald;
  beforeAll(async () => {
    partitioned = await startHerald('fifo-partitions', { workers: 0, partitions: 4 });
  });
  afterAll(async () => {
    await partitioned?.stop();
  });

  it("keeps publish order: a FIFO webhook lives in its tenant's partition, where its tenant's events are ingested", async () => {
    await orderUnderFailures(partitioned, 'fifo-order-p', 3000, 30);
  }, 300_000);

  it('delivers once each event routed into the partition of a webhook given ordering later', async () => {
    await partitioned.startWorker();
    const delivered: Sent[] = [];
    const hook = await receivers.start((request) => {
      delivered.push(sentOf(request));
      return { status: 200 };
    });
    // Webhooks go to the partitions in turn: make them until one is not in the tenant's ordered partition.
    const tenant = 'fifo-patched';
    let id = '';
    for (let tries = 0; tries < 8 && !id; tries++) {
      const made = await createWebhook(partitioned.client, { tenant, url: hook.url, events: [`patched.t${tries}`] });
      if (partitioned.layout.ofWebhook(made.id) !== partitioned.layout.ofOrderedTenant(tenant)) id = made.id;
    }
    expect(id).not.toBe('');
    const patched = await partitioned.client.patch(`/v1/webhooks/${id}`, { events: ['order.changed'], ordering: { mode: 'fifo', key: 'data.key' } });
    expect(patched.status).toBe(200);
    // The tenant's events now go to its ordered partition, and fan-out routes them to the webhook's, many to an entry.
    await publishInOrder(partitioned, tenant, range(0, 400).map((seq) => ({ key: `k${seq % 4}`, seq })), 200);
    await waitFor(() => new Set(delivered.map((d) => d.seq)).size >= 400, { timeoutMs: 60_000, message: 'every routed event delivered' });
    await waitFor(async () => (await partitioned.client.get(`/v1/webhooks/${id}/fifo`)).body.deliveries === 0, { message: 'its lines empty' });
    expect(delivered).toHaveLength(400);
    await Promise.all(partitioned.workers.splice(0).map((worker) => worker.stop('SIGTERM')));
  }, 120_000);
});

/** A webhook ordering by data.key, whose receiver fails every attempt at the events `failing` names (until told otherwise). */
async function lineWithFailures(tenant: string, onExhausted: 'skip' | 'block') {
  const failing = new Set<number>();
  const delivered: Sent[] = [];
  const hook = await receivers.start((request) => {
    const sent = sentOf(request);
    if (failing.has(sent.seq)) return { status: 503, body: 'this one always fails' };
    delivered.push(sent);
    return { status: 200 };
  });
  const { id } = await createWebhook(herald.client, {
    tenant,
    url: hook.url,
    retry: { maxRetries: 2, initialDelayMs: 20, backoffMultiplier: 1, maxDelayMs: 20, jitter: 0 },
    ordering: { mode: 'fifo', key: 'data.key', onExhausted },
    circuitBreaker: { enabled: false },
  });
  const seqsOf = (key: string) => delivered.filter((d) => d.key === key).map((d) => d.seq);
  return { id, failing, delivered, seqsOf };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('when a head spends its attempts', () => {
  beforeAll(async () => {
    if (herald.workers.length === 0) await herald.startWorker();
  });

  it('skip: dead-letters it (fifo_skipped) and delivers the rest of its line in order', async () => {
    const line = await lineWithFailures('fifo-skip', 'skip');
    line.failing.add(5);
    await publishInOrder(herald, 'fifo-skip', range(0, 20).map((seq) => ({ key: 'a', seq })));
    await waitFor(() => line.seqsOf('a').length >= 19, { timeoutMs: 30_000, message: 'the line delivered past its failing head' });
    expect(line.seqsOf('a')).toEqual([...range(0, 5), ...range(6, 20)]);
    const { body } = await herald.client.get(`/v1/dead-letters?webhookId=${line.id}`);
    expect(body.data).toHaveLength(1);
    expect(body.data[0].event.data).toEqual({ key: 'a', seq: 5 });
    expect(body.data[0].attempts).toBe(3);
    expect(body.data[0].lastError).toMatch(/^fifo_skipped: /);
    await waitFor(async () => (await herald.client.get(`/v1/webhooks/${line.id}/fifo`)).body.deliveries === 0, { message: 'the line empty' });

    // A replayed dead letter joins the tail of its line.
    line.failing.clear();
    await herald.client.post('/v1/dead-letters/replay', { ids: [body.data[0].id] });
    await waitFor(() => line.seqsOf('a').length >= 20, { message: 'the replay delivered' });
    expect(line.seqsOf('a').at(-1)).toBe(5);
  }, 60_000);

  it('block: the line waits, other lines go on, until the head is skipped through the API; a replay of it goes to the tail', async () => {
    const line = await lineWithFailures('fifo-block', 'block');
    line.failing.add(5);
    await publishInOrder(herald, 'fifo-block', [...range(0, 10).map((seq) => ({ key: 'a', seq })), ...range(10, 20).map((seq) => ({ key: 'b', seq }))]);
    const status = () => herald.client.get(`/v1/webhooks/${line.id}/fifo`).then((r) => r.body);
    await waitFor(async () => (await status()).blocked === 1, { timeoutMs: 30_000, message: 'line a blocked' });
    await waitFor(() => line.seqsOf('b').length >= 10, { message: 'line b delivered meanwhile' });
    // The head and the four behind it wait; nothing is out (line b's last settlement may trail its arrival).
    await waitFor(async () => (await status()).lines === 1, { message: 'line b empty' });
    const blocked = await status();
    expect(blocked).toMatchObject({ deliveries: 5, lines: 1, inFlight: 0, blocked: 1 });
    expect(blocked.blockedLines).toEqual([expect.objectContaining({ key: 'a', error: expect.stringMatching(/^fifo_blocked: /) })]);
    expect(line.seqsOf('a')).toEqual(range(0, 5));
    expect(line.seqsOf('b')).toEqual(range(10, 20));
    // The gauges show the line waiting (read every 5 s by each worker).
    const worker = herald.workers[0]!;
    const gauge = async (name: string) => {
      const text = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
      return Number(new RegExp(`^${name}\\{webhook="${line.id}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    };
    await waitFor(async () => (await gauge('herald_fifo_backlog')) === 5, { timeoutMs: 15_000, message: 'herald_fifo_backlog at 5' });
    expect(await gauge('herald_fifo_head_age_seconds')).toBeGreaterThan(0);

    // Skipping needs the line's key; a line that is not blocked cannot be skipped.
    expect((await herald.client.post(`/v1/webhooks/${line.id}/fifo/skip`, {})).status).toBe(400);
    expect((await herald.client.post(`/v1/webhooks/${line.id}/fifo/skip`, { key: 'b' })).status).toBe(409);
    const skipped = await herald.client.post(`/v1/webhooks/${line.id}/fifo/skip`, { key: 'a' });
    expect(skipped.status).toBe(200);
    expect(skipped.body).toEqual({ key: 'a', skippedEventId: blocked.blockedLines[0].eventId, deadLetterId: blocked.blockedLines[0].deadLetterId });
    await waitFor(() => line.seqsOf('a').length >= 9, { message: 'line a delivered after the skip' });
    expect(line.seqsOf('a')).toEqual([...range(0, 5), ...range(6, 10)]);

    line.failing.clear();
    await herald.client.post('/v1/dead-letters/replay', { ids: [blocked.blockedLines[0].deadLetterId] });
    await waitFor(() => line.seqsOf('a').length >= 10, { message: 'the replay delivered' });
    expect(line.seqsOf('a')).toEqual([...range(0, 5), ...range(6, 10), 5]);
  }, 60_000);

  it('block: replaying the blocked head retries it in place, and the line goes on after it', async () => {
    const line = await lineWithFailures('fifo-retry', 'block');
    line.failing.add(2);
    await publishInOrder(herald, 'fifo-retry', range(0, 8).map((seq) => ({ key: 'x', seq })));
    const status = () => herald.client.get(`/v1/webhooks/${line.id}/fifo`).then((r) => r.body);
    await waitFor(async () => (await status()).blocked === 1, { timeoutMs: 30_000, message: 'the line blocked' });
    const [head] = (await status()).blockedLines;
    line.failing.clear();
    const replayed = await herald.client.post('/v1/dead-letters/replay', { ids: [head.deadLetterId] });
    expect(replayed.body.replayed).toEqual([head.deadLetterId]);
    await waitFor(() => line.seqsOf('x').length >= 8, { message: 'the line delivered after the replay' });
    expect(line.seqsOf('x')).toEqual(range(0, 8));
    await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${line.id}`)).body.data.length === 0, { message: 'the dead letter gone once delivered' });
  }, 60_000);
});

describe('when its webhook changes', () => {
  it('lets a blocked line go on once ordering is removed, and drains the lines of a webhook deleted', async () => {
    if (herald.workers.length === 0) await herald.startWorker();
    const line = await lineWithFailures('fifo-change', 'block');
    line.failing.add(1);
    await publishInOrder(herald, 'fifo-change', range(0, 5).map((seq) => ({ key: 'a', seq })));
    const status = () => herald.client.get(`/v1/webhooks/${line.id}/fifo`).then((r) => r.body);
    await waitFor(async () => (await status()).blocked === 1, { timeoutMs: 30_000, message: 'the line blocked' });
    // Ordering removed: no operator will skip that line any more; it goes on without its head (kept as a dead letter).
    expect((await herald.client.patch(`/v1/webhooks/${line.id}`, { ordering: null })).status).toBe(200);
    await waitFor(() => line.seqsOf('a').length >= 4, { message: 'the rest of the line delivered' });
    expect(line.seqsOf('a')).toEqual([0, 2, 3, 4]);
    expect((await herald.client.get(`/v1/dead-letters?webhookId=${line.id}`)).body.data).toHaveLength(1);

    // A webhook deleted with a blocked line: its lines drain, nothing left waiting.
    const gone = await lineWithFailures('fifo-gone', 'block');
    gone.failing.add(0);
    await publishInOrder(herald, 'fifo-gone', range(0, 4).map((seq) => ({ key: 'b', seq })));
    await waitFor(async () => (await herald.client.get(`/v1/webhooks/${gone.id}/fifo`)).body.blocked === 1, { timeoutMs: 30_000, message: 'the line blocked' });
    expect((await herald.client.delete(`/v1/webhooks/${gone.id}`)).status).toBe(204);
    const keys = herald.layout.keys(herald.layout.ofWebhook(gone.id));
    await waitFor(async () => (await herald.redis.zcard(keys.fifoHeads(gone.id))) === 0 && (await herald.redis.hlen(keys.fifoBusy(gone.id))) === 0, { message: 'the deleted webhook\'s lines drained' });
    expect(gone.delivered).toEqual([]);
  }, 60_000);
});

describe('with the circuit and rate limits', () => {
  it('holds a line as a whole while its circuit is open, spending no attempt, and delivers it in order once the endpoint is back', async () => {
    if (herald.workers.length === 0) await herald.startWorker();
    let down = true;
    const delivered: Sent[] = [];
    const calls: Sent[] = [];
    const hook = await receivers.start((request) => {
      calls.push(sentOf(request));
      if (down) return { status: 503, body: 'down' };
      delivered.push(sentOf(request));
      return { status: 200 };
    });
    const { id } = await createWebhook(herald.client, {
      tenant: 'fifo-circuit',
      url: hook.url,
      retry: { maxRetries: 10, initialDelayMs: 20, backoffMultiplier: 1, maxDelayMs: 20, jitter: 0 },
      ordering: { mode: 'fifo', onExhausted: 'skip' },
      circuitBreaker: { failureThreshold: 3, cooldownMs: 400 },
      rateLimit: { perSecond: 200, burst: 5 },
    });
    await publishInOrder(herald, 'fifo-circuit', range(0, 30).map((seq) => ({ key: 'one', seq })));
    await waitFor(async () => (await herald.client.get(`/v1/webhooks/${id}`)).body.circuit.state !== 'closed', { timeoutMs: 15_000, message: 'the circuit open' });
    // While open, only the head is tried (by the probes): nothing behind it was called.
    expect(new Set(calls.map((c) => c.seq))).toEqual(new Set([0]));
    down = false;
    await waitFor(() => delivered.length >= 30, { timeoutMs: 30_000, message: 'the line delivered once the endpoint is back' });
    expect(delivered.map((d) => d.seq)).toEqual(range(0, 30));
    // The head spent fewer attempts than its 11 (the open circuit held it without spending any): no dead letter.
    expect((await herald.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data).toEqual([]);
  }, 60_000);
});

