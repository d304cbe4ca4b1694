// Redis near and at its memory limit (noeviction, as Herald's Redis runs in production), on a
// redis-server of its own: producers are told 503 "Storage full", never 500; the API and the worker
// stay up; deliveries and settlements of what was accepted go on past the high-water mark; and
// every event accepted is delivered once Redis has room again.
import {
  apiClient,
  createWebhook,
  receiverPool,
  startApi,
  startHerald,
  startRedisServer,
  waitFor,
  type Herald,
  type RunningRedis,
} from '@herald/testing';

let server: RunningRedis;
let herald: Herald;
const receivers = receiverPool();
/** The receiver's answers wait until this opens. */
let open = false;

beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--maxmemory-policy', 'noeviction'] });
  herald = await startHerald('redis-full', { redis: { url: server.url, cluster: false }, env: { HERALD_METRICS_INTERVAL_MS: '250' } });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
  await server?.stop();
});

const usedMemory = async () => Number(/^used_memory:(\d+)/m.exec(await herald.redis.info('memory'))?.[1]);
/** Sets maxmemory so that Redis is at `ratio` of it now. */
const fillTo = async (ratio: number) => herald.redis.config('SET', 'maxmemory', String(Math.floor((await usedMemory()) / ratio)));
const publish = (client = herald.client, n = 0) => client.post('/v1/events', { tenant: 'full', type: 'order.created', data: { n } });

async function apiGauge(name: string): Promise<number | undefined> {
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${herald.api.url}/metrics`)).text());
  return line ? Number(line[1]) : undefined;
}

it('refuses new events past the high-water mark and at maxmemory with 503 Storage full, and delivers every event it accepted', async () => {
  const receiver = await receivers.start(async () => {
    await waitFor(() => open, { timeoutMs: 60_000, message: 'the test to open the receiver' });
    return { status: 200 };
  });
  await createWebhook(herald.client, { tenant: 'full', url: receiver.url, events: ['order.*'], timeoutMs: 30_000 });
  // Ballast, so that the headroom below maxmemory is megabytes, not the few kilobytes Herald's own keys take.
  const ballast = herald.redis.pipeline();
  for (let i = 0; i < 500; i++) ballast.set(`${herald.prefix}:ballast:${i}`, 'x'.repeat(100_000));
  await ballast.exec();

  // Accepted while there is room; their deliveries wait at the receiver.
  const accepted: string[] = [];
  for (let n = 0; n < 20; n++) accepted.push(String((await publish(herald.client, n)).body.id));
  await waitFor(() => receiver.requests.length >= 5, { message: 'deliveries in flight at the receiver' });

  // Past the high-water mark (0.9 of maxmemory): new events are refused, nothing else is.
  await fillTo(0.92);
  // The API reads Redis's memory once a second: until it has, events are still accepted.
  const refused = await waitFor(async () => {
    const response = await publish();
    if (response.status === 202) accepted.push(String(response.body.id));
    return response.status === 503 && response;
  }, { timeoutMs: 5000, intervalMs: 200, message: 'a 503 past the high-water mark' });
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(refused.body).toMatchObject({ status: 503, title: 'Storage full' });
  expect(refused.body.detail).toMatch(/past the high-water mark of 90 % \(HERALD_REDIS_MEMORY_HIGH_WATER\)/);
  await waitFor(async () => ((await apiGauge('herald_redis_memory_ratio')) ?? 0) > 0.9, { message: 'herald_redis_memory_ratio above 0.9' });
  open = true;
  await receiver.waitForRequests(accepted.length, { timeoutMs: 20_000 });
  await herald.waitForSettled();

  // At maxmemory, Redis itself refuses writes: every route that writes says so with a 503, and an
  // API that checks no high-water mark gets Redis's refusal the same way.
  open = false;
  const unguarded = await startApi({
    REDIS_URL: server.url, HERALD_PREFIX: herald.prefix, HERALD_ALLOW_PRIVATE_TARGETS: 'true', HERALD_REDIS_MEMORY_HIGH_WATER: '1',
  });
  const direct = apiClient(unguarded.url, unguarded.token);
  const late: string[] = [];
  const before = receiver.requests.length;
  for (let n = 0; n < 10; n++) late.push(String((await publish(direct, 100 + n)).body.id));
  await waitFor(() => receiver.requests.length >= before + 5, { message: 'the late events in flight at the receiver' });
  await herald.redis.config('SET', 'maxmemory', String(Math.floor((await usedMemory()) * 0.9)));
  for (const response of [
    await publish(direct),
    await direct.post('/v1/events/batch', { events: [{ tenant: 'full', type: 'order.created', data: {} }] }),
    await direct.post('/v1/webhooks', { tenant: 'full', url: receiver.url }),
    await herald.client.post('/v1/webhooks', { tenant: 'full', url: receiver.url }),
  ]) {
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ title: 'Storage full', detail: expect.stringMatching(/Redis is out of memory \(maxmemory\)|high-water/) });
  }
  // The late deliveries are made but cannot be written: the worker keeps trying (past the tries an
  // ordinary error gets), and stays up.
  open = true;
  const waiting = (line: Record<string, unknown>) => String(line.err).includes('Redis is out of memory') && Number(line.attempt) > 7;
  await waitFor(() => herald.workers[0]!.logs().some(waiting), { timeoutMs: 30_000, message: 'the worker still waiting for room after 7 tries' });
  for (const url of [`${herald.api.url}/readyz`, `${herald.workers[0]!.metricsUrl}/readyz`]) expect((await fetch(url)).status).toBe(200);

  // Room again: everything accepted is delivered and settled, and nothing was ever a 500.
  await herald.redis.config('SET', 'maxmemory', '0');
  await herald.waitForSettled(30_000);
  const delivered = receiver.requests.map((request) => String(request.headers['webhook-id']));
  for (const id of [...accepted, ...late]) expect(delivered).toContain(id);
  // The worker waited to write what it had sent rather than giving up on it: nothing went twice.
  expect(late.filter((id) => delivered.indexOf(id) !== delivered.lastIndexOf(id))).toEqual([]);
  await unguarded.stop();
  for (const proc of [herald.api, unguarded, ...herald.workers]) expect(proc.logs().filter((line) => line.msg === 'request failed')).toEqual([]);
  expect(herald.workers[0]!.child.exitCode).toBeNull();
});
