// What happens when workers die, drain or are misconfigured: nothing is lost.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  receiverPool,
  apiClient,
  createWebhook,
  publishBatch,
  spawnApp,
  startApi,
  startHerald,
  testRedisUrl,
  waitFor,
  type Herald,
} from '@herald/testing';

let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('resilience', { workers: 0 });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});


it('claims and delivers an entry that a consumer read and never acknowledged', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'orphan', url: hook.url });
  // No worker runs yet: a "ghost" consumer takes the entry and dies without acknowledging it.
  const [eventId] = await publishBatch(herald.client, 'orphan', 'orphan.event', 1);
  const read = (await herald.redis.xreadgroup(
    'GROUP', 'fanout', 'ghost', 'COUNT', 10, 'STREAMS', herald.keys.eventsStream, '>',
  )) as [string, [string, string[]][]][];
  expect(read[0]![1]).toHaveLength(1);

  await herald.startWorker();
  const [request] = await hook.waitForRequests(1, { timeoutMs: 15_000 });
  expect(request!.headers['webhook-id']).toBe(eventId);
  await waitFor(async () => ((await herald.redis.xpending(herald.keys.eventsStream, 'fanout')) as [number])[0] === 0, {
    message: 'no entry left pending',
  });
  expect(hook.requests).toHaveLength(1);
});

it('delivers all of 2,000 events while one of two workers is killed with SIGKILL', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'crash', url: hook.url, retry: { initialDelayMs: 100, jitter: 0 } });
  const victim = await herald.startWorker();
  if (herald.workers.length < 2) await herald.startWorker();

  const published = await publishBatch(herald.client, 'crash', 'load.test', 1000);
  await hook.waitForRequests(200, { timeoutMs: 30_000 });
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBeNull();
  published.push(...(await publishBatch(herald.client, 'crash', 'load.test', 1000, 1000)));

  const expected = new Set(published);
  const distinct = () => new Set(hook.requests.map((r) => String(r.headers['webhook-id'])));
  await waitFor(() => distinct().size >= expected.size, {
    timeoutMs: 60_000,
    message: `all ${expected.size} events at the receiver`,
  });
  const received = distinct();
  expect([...expected].filter((id) => !received.has(id))).toEqual([]);
  expect([...received].filter((id) => !expected.has(id))).toEqual([]);
}, 120_000);

it('drains on SIGTERM: in-flight deliveries finish, then the worker exits 0', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const hook = await receivers.start(async () => {
    await gate;
    return { status: 200 };
  });
  // The other workers would take part of the work; this test needs one worker holding it all.
  await Promise.all(herald.workers.splice(0).map((w) => w.stop('SIGTERM')));
  const { id: webhookId } = await createWebhook(herald.client, { tenant: 'drain', url: hook.url });
  const worker = await herald.startWorker();
  await publishBatch(herald.client, 'drain', 'slow.receiver', 5);
  await hook.waitForRequests(5);

  worker.child.kill('SIGTERM');
  // The worker must wait for the receiver rather than exit with deliveries in flight.
  await waitFor(() => worker.logs().some((line) => line.msg === 'herald worker draining'), { message: 'draining to start' });
  expect(worker.child.exitCode).toBeNull();
  release();
  expect(await worker.exited).toBe(0);

  const attempts = await herald.redis.lrange(herald.keys.attempts(webhookId), 0, -1);
  expect(attempts.map((a) => JSON.parse(a).outcome)).toEqual(['success', 'success', 'success', 'success', 'success']);
  expect(hook.requests).toHaveLength(5);
});

it.each([
  ['worker', { HERALD_WORKER_CONCURRENCY: 'lots' }, /HERALD_WORKER_CONCURRENCY: must be a whole number \(got "lots"\)/],
  ['worker', { REDIS_URL: 'http://localhost' }, /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/],
  ['api', { HERALD_API_PORT: '70000' }, /HERALD_API_PORT: must be at most 65535/],
  ['api', { HERALD_ADMIN_TOKEN: '' }, /HERALD_ADMIN_TOKEN: must be at least 16 characters/],
  ['worker', { HERALD_PREFIX: '{herald}', HERALD_PARTITIONS: '4' }, /HERALD_PREFIX: must be plain \(no \{hash tag\}\) with HERALD_PARTITIONS > 1/],
  ['api', { HERALD_REDIS_CLUSTER: 'true', HERALD_PREFIX: 'her}ald' }, /HERALD_PREFIX: holds an unbalanced "\{" or "\}"/],
  ['api', { HERALD_PARTITIONS: '0' }, /HERALD_PARTITIONS: must be at least 1/],
  ['worker', { HERALD_REDIS_CLUSTER: 'yes please' }, /HERALD_REDIS_CLUSTER: must be true or false/],
] as const)('the %s refuses to start on bad config %j', async (app, env, message) => {
  const proc = spawnApp(app, { REDIS_URL: testRedisUrl(), HERALD_ADMIN_TOKEN: 'x'.repeat(20), ...env });
  expect(await proc.exited).toBe(1);
  expect(proc.output()).toMatch(message);
  expect(proc.output()).toMatch(/Invalid configuration/);
});

it('applies HERALD_CONFIG at API start, and refuses to start naming a missing variable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-start-config-'));
  const file = join(dir, 'herald.yaml');
  writeFileSync(file, 'webhooks:\n  - name: from-config\n    tenant: configured\n    url: "${env.HOOK_URL}"\n');
  const env = { REDIS_URL: testRedisUrl(), HERALD_PREFIX: herald.prefix, HERALD_ADMIN_TOKEN: 'x'.repeat(20), HERALD_CONFIG: file, HERALD_ALLOW_PRIVATE_TARGETS: 'true' };
  const refused = spawnApp('api', env);
  expect(await refused.exited).toBe(1);
  expect(refused.output()).toMatch(/url: refers to \$\{env\.HOOK_URL\}, but the environment variable HOOK_URL is not set/);

  const api = await startApi({ ...env, HOOK_URL: 'http://127.0.0.1:9/hook' });
  try {
    const listed = await apiClient(api.url, api.token).get('/v1/webhooks?tenant=configured');
    expect(listed.body.data.map((w: { name: string; url: string }) => [w.name, w.url])).toEqual([['from-config', 'http://127.0.0.1:9/hook']]);
    expect(api.logs().find((line) => line.msg === 'declarative configuration applied')).toMatchObject({ created: ['from-config'] });
  } finally {
    await api.stop();
  }
});
