// Redis frozen (SIGSTOP: a partition without resets) past the job lock and claim times, with a
// delivery in flight: once it thaws (SIGCONT), the same worker process delivers again, no restart.
import type { Queue } from 'bullmq';
import { FANOUT_GROUP, createDeliveryQueue, createRedis, redisKeys, type RedisClient } from '@herald/shared';
import {
  FAST_WORKER_ENV,
  apiClient,
  createWebhook,
  publish,
  startApi,
  startReceiver,
  startRedisServer,
  startWorker,
  waitFor,
  type Receiver,
  type RunningApi,
  type RunningRedis,
  type RunningWorker,
} from '@herald/testing';

let redis: RunningRedis | undefined;
let api: RunningApi | undefined;
let worker: RunningWorker | undefined;
let hook: Receiver | undefined;
let queueConnection: RedisClient | undefined;
let queue: Queue | undefined;

afterAll(async () => {
  redis?.process.kill('SIGCONT');
  await worker?.stop('SIGKILL');
  await api?.stop('SIGKILL');
  await hook?.close();
  await queue?.close();
  queueConnection?.disconnect();
  await redis?.stop();
});

const status = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(5000) })).status;

it('delivers events published after Redis thaws, in the same worker process', async () => {
  redis = await startRedisServer();
  const env = { REDIS_URL: redis.url, HERALD_PREFIX: 'freeze', HERALD_ALLOW_PRIVATE_TARGETS: 'true' };
  api = await startApi(env);
  queueConnection = createRedis({ url: redis.url, cluster: false });
  queue = createDeliveryQueue(queueConnection, env.HERALD_PREFIX);
  // Short locks and claims, so that the freeze outlasts both.
  worker = await startWorker({ ...env, ...FAST_WORKER_ENV, HERALD_JOB_LOCK_MS: '1000', HERALD_CLAIM_IDLE_MS: '1000' });
  let release: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => (release = resolve));
  hook = await startReceiver(async (request) => {
    if (request.headers['x-herald-event'] === 'held.during.freeze') await holding;
    return { status: 200 };
  });
  const client = apiClient(api.url, api.token, { timeoutMs: 15_000 });
  const webhook = await createWebhook(client, { url: hook.url, retry: { maxRetries: 5, initialDelayMs: 100 } });
  await publish(client, { type: 'before.freeze' });
  await publish(client, { type: 'held.during.freeze' });
  await waitFor(() => hook!.requests.some((r) => r.headers['x-herald-event'] === 'held.during.freeze'), {
    message: 'the held delivery to be in flight',
  });

  redis.process.kill('SIGSTOP');
  // Each readiness check waits 1 s for PING: by the second, the freeze has outlasted the 1 s lock.
  await waitFor(async () => (await status(`${worker!.metricsUrl}/readyz`)) === 503, { message: 'the worker to report not ready' });
  await waitFor(async () => (await status(`${api!.url}/readyz`)) === 503, { message: 'the API to report not ready' });
  // Both say why in words: a Redis that holds the connection but does not answer.
  for (const url of [`${worker!.metricsUrl}/readyz`, `${api!.url}/readyz`]) {
    const body = (await (await fetch(url, { signal: AbortSignal.timeout(5000) })).json()) as { redis?: string };
    expect(body).toEqual({ status: 'unavailable', redis: `Redis did not answer within 1000 ms at 127.0.0.1:${redis.port}` });
  }
  // The delivery in flight ends while Redis is frozen: recording it has to wait for the thaw.
  release();
  redis.process.kill('SIGCONT');

  await waitFor(async () => (await status(`${worker!.metricsUrl}/readyz`)) === 200, {
    timeoutMs: 20_000,
    message: 'the worker to be ready again',
  });
  const after = ['after.freeze.one', 'after.freeze.two', 'after.freeze.three'];
  for (const type of after) await publish(client, { type });
  await waitFor(() => after.every((type) => hook!.requests.some((r) => r.headers['x-herald-event'] === type)), {
    timeoutMs: 30_000,
    message: 'every event published after the thaw to be delivered',
  });
  // The held delivery ended while Redis was frozen: it is recorded once Redis is back, its entry
  // acknowledged (sent again only if its entry had been given up meanwhile, with the same
  // webhook-id), never dead-lettered, and nothing stays stuck in the stream or the queue.
  await waitFor(async () => {
    const [pending] = (await queueConnection!.xpending(redisKeys(env.HERALD_PREFIX).eventsStream, FANOUT_GROUP)) as [number];
    const counts = await queue!.getJobCounts('waiting', 'delayed', 'active');
    return pending === 0 && Object.values(counts).every((count) => count === 0);
  }, { timeoutMs: 20_000, message: 'every entry acknowledged and the delivery queue idle' });
  const held = hook.requests.filter((r) => r.headers['x-herald-event'] === 'held.during.freeze');
  expect(new Set(held.map((r) => r.headers['webhook-id'])).size).toBe(1);
  const log = (await client.get(`/v1/webhooks/${webhook.id}/deliveries?eventType=held.during.freeze`)).body.data as { outcome: string }[];
  expect(log.map((attempt) => attempt.outcome)).toContain('success');
  expect((await client.get('/v1/dead-letters')).body.data).toEqual([]);
  expect(hook.requests.some((r) => r.headers['x-herald-event'] === 'before.freeze')).toBe(true);
  expect(worker.child.exitCode).toBeNull();
  expect(worker.child.signalCode).toBeNull();
}, 120_000);
