// A Redis restart: readiness reports it, nothing crashes, and delivery resumes by itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis } from '@herald/shared';
import {
  apiClient,
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

let redis: RunningRedis;
let api: RunningApi;
let worker: RunningWorker;
let hook: Receiver;

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await redis?.stop();
  await hook?.close();
});

it('reports not ready while Redis is down, and delivers again once it is back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-outage-'));
  redis = await startRedisServer({ dir, persist: true });
  const env = { REDIS_URL: redis.url, HERALD_ALLOW_PRIVATE_TARGETS: 'true', HERALD_CLAIM_IDLE_MS: '1500' };
  api = await startApi(env);
  worker = await startWorker(env);
  hook = await startReceiver();
  const client = apiClient(api.url, api.token);
  await client.post('/v1/webhooks', { url: hook.url });
  await client.post('/v1/events', { type: 'before.outage' });
  await hook.waitForRequests(1);

  await redis.stop();
  await waitFor(async () => (await fetch(`${worker.metricsUrl}/readyz`)).status === 503, { message: 'the worker to report not ready' });
  await waitFor(async () => (await fetch(`${api.url}/readyz`)).status === 503, { message: 'the API to report not ready' });
  // Both say why in words, naming where Redis was (while it reconnects, each refusal is the reason).
  const refusedAt = `Redis refused the connection at 127.0.0.1:${redis.port}`;
  for (const url of [`${worker.metricsUrl}/readyz`, `${api.url}/readyz`]) {
    await waitFor(async () => ((await (await fetch(url)).json()) as { redis?: string }).redis === refusedAt, { message: `${url} to say "${refusedAt}"` });
    expect(await (await fetch(url)).json()).toEqual({ status: 'unavailable', redis: refusedAt });
  }
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  const refused = await client.post('/v1/events', { type: 'during.outage' });
  expect(refused.status).toBe(503);
  expect(refused.headers.get('content-type')).toMatch(/problem\+json/);

  redis = await startRedisServer({ port: redis.port, dir, persist: true });
  await waitFor(async () => (await fetch(`${worker.metricsUrl}/readyz`)).status === 200, { timeoutMs: 20_000, message: 'the worker to be ready again' });
  await waitFor(async () => (await fetch(`${api.url}/readyz`)).status === 200, { timeoutMs: 20_000, message: 'the API to be ready again' });
  const accepted = await client.post('/v1/events', { type: 'after.outage' });
  expect(accepted.status).toBe(202);
  const requests = await hook.waitForRequests(2, { timeoutMs: 20_000 });
  expect(requests[1]!.headers['x-herald-event']).toBe('after.outage');
  // The event refused with 503 was not appended later either (the API queues no command while
  // Redis is away): had it been, it would be in the stream before the one published after.
  const probe = createRedis({ url: redis.url, cluster: false });
  try {
    const entries = (await probe.xrange('herald:events', '-', '+')) as [string, string[]][];
    expect(entries.map(([, fields]) => JSON.parse(fields[1]!).type)).toEqual(['before.outage', 'after.outage']);
  } finally {
    probe.disconnect();
  }
  expect(worker.child.exitCode).toBeNull();
  expect(api.child.exitCode).toBeNull();
}, 90_000);
