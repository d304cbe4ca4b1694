// Redis frozen (SIGSTOP: a partition without resets): the API answers 503 in seconds, then recovers by itself.
import { apiClient, startApi, startRedisServer, waitFor, type RunningApi, type RunningRedis } from '@herald/testing';

let redis: RunningRedis | undefined;
let api: RunningApi | undefined;

afterAll(async () => {
  redis?.process.kill('SIGCONT');
  await api?.stop('SIGKILL');
  await redis?.stop();
});

async function timed<T>(call: () => Promise<T>): Promise<T & { ms: number }> {
  const started = Date.now();
  const response = await call();
  return { ...response, ms: Date.now() - started };
}

it('answers 503 problem+json with Retry-After within seconds while Redis is frozen, and recovers', async () => {
  redis = await startRedisServer();
  api = await startApi({ REDIS_URL: redis.url, HERALD_PREFIX: 'freeze' });
  // Each call gives up after 15 s, so a hanging API fails the test instead of stalling it.
  const base = apiClient(api.url, api.token, { timeoutMs: 15_000 });
  const client = {
    post: (path: string, body: unknown) => timed(() => base.post(path, body)),
    get: (path: string) => timed(() => base.get(path)),
  };
  expect((await client.post('/v1/events', { type: 'before.freeze' })).status).toBe(202);

  redis.process.kill('SIGSTOP');
  // Ingest (one script call), a read, and one that waits on the delivery queue's own connection.
  const answers = [
    await client.post('/v1/events', { type: 'during.freeze' }),
    await client.get('/v1/webhooks'),
    await client.get('/v1/stats'),
  ];
  for (const response of answers) {
    expect(response.status).toBe(503);
    expect(response.ms).toBeLessThan(5000);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.body).toMatchObject({ status: 503 });
  }
  expect(api.child.exitCode).toBeNull();

  redis.process.kill('SIGCONT');
  await waitFor(async () => (await client.post('/v1/events', { type: 'after.freeze' })).status === 202, {
    timeoutMs: 20_000,
    message: 'the API to accept events again',
  });
  expect((await client.get('/v1/webhooks')).status).toBe(200);
}, 90_000);
