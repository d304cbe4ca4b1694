// The API process on SIGTERM: requests in flight are answered, up to HERALD_SHUTDOWN_TIMEOUT_MS.
import { request } from 'undici';
import { Redis } from 'ioredis';
import { DELIVERY_QUEUE } from '@herald/shared';
import { startApi, testRedisUrl, uniquePrefix, waitFor, type RunningApi } from '@herald/testing';

// Each test's API has a prefix of its own, so that what one test queued cannot satisfy another's wait.
let prefix = '';
const env = (timeoutMs: number) => ({
  REDIS_URL: testRedisUrl(),
  HERALD_PREFIX: (prefix = uniquePrefix('api-shutdown')),
  HERALD_ALLOW_PRIVATE_TARGETS: 'true',
  HERALD_SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
});

let api: RunningApi | undefined;
const redis = new Redis(testRedisUrl());
afterAll(() => redis.quit());
afterEach(async () => {
  await api?.stop('SIGKILL');
  api = undefined;
});

const call = (running: RunningApi, method: 'GET' | 'POST', path: string, body?: unknown) =>
  request(`${running.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

it('exits 0 at once when nothing is in flight, idle keep-alive connections included', async () => {
  api = await startApi(env(30_000));
  const ready = await call(api, 'GET', '/readyz');
  await ready.body.dump();
  expect(ready.statusCode).toBe(200);
  const started = Date.now();
  expect(await api.stop('SIGTERM')).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
});

it('cuts a request still in flight at the deadline and exits 1', async () => {
  api = await startApi(env(1000));
  const created = await call(api, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', timeoutMs: 30_000 });
  const { id } = (await created.body.json()) as { id: string };
  // No worker runs: the test delivery waits for an attempt that never comes (30 s and more).
  const pending = call(api, 'POST', `/v1/webhooks/${id}/test`).then(
    async (response) => ({ answered: response.statusCode, body: await response.body.text() }),
    (error: Error) => ({ failed: error.message }),
  );
  // The handler has queued the test delivery and waits for its attempt: the request is in flight.
  await waitFor(async () => (await redis.llen(`${prefix}:${DELIVERY_QUEUE}:wait`)) > 0, { message: 'the test delivery queued' });
  const started = Date.now();
  api.child.kill('SIGTERM');
  expect(await api.exited).toBe(1);
  const elapsed = Date.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(900);
  expect(elapsed).toBeLessThan(10_000);
  expect(await pending).toEqual({ failed: expect.any(String) });
  expect(api.logs().some((line) => line.msg === 'drain deadline passed; closing the connections still open')).toBe(true);
});

it('answers a request in flight, then exits 0 without waiting out its keep-alive connection', async () => {
  api = await startApi(env(30_000));
  const created = await call(api, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', timeoutMs: 100 });
  const { id } = (await created.body.json()) as { id: string };
  // No worker runs: the test delivery gives up waiting after the webhook's timeout and 5 s, and answers 202.
  const pending = call(api, 'POST', `/v1/webhooks/${id}/test`).then(async (response) => {
    await response.body.dump();
    return { status: response.statusCode, at: Date.now() };
  });
  await waitFor(async () => (await redis.llen(`${prefix}:${DELIVERY_QUEUE}:wait`)) > 0, { message: 'the test delivery queued' });
  api.child.kill('SIGTERM');
  const code = await api.exited;
  const exitedAt = Date.now();
  const answered = await pending;
  expect(code).toBe(0);
  expect(answered.status).toBe(202);
  // Node keeps an idle keep-alive connection open for 5 s (about 3 s more here, without closing it
  // at once); the drain must not wait for that.
  expect(exitedAt - answered.at).toBeLessThan(1500);
});

