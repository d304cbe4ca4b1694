// Redis down (connection refused, the API reconnecting): a publish answered 503 must not be
// appended later, when Redis comes back.
import { createRedis } from '@herald/shared';
import { apiClient, startApi, startRedisServer, waitFor, type RunningApi, type RunningRedis } from '@herald/testing';

let redis: RunningRedis | undefined;
let api: RunningApi | undefined;

afterAll(async () => {
  await api?.stop('SIGKILL');
  await redis?.stop();
});

it('does not append, once Redis is back, an event it refused with 503 while Redis was down', async () => {
  redis = await startRedisServer();
  const { port } = redis;
  api = await startApi({ REDIS_URL: redis.url, HERALD_PREFIX: 'down' });
  const client = apiClient(api.url, api.token, { timeoutMs: 15_000 });
  expect((await client.post('/v1/events', { type: 'before.down' })).status).toBe(202);

  await redis.stop();
  // Reconnection attempts are spaced further apart the longer Redis stays down: after five, a
  // command queued for the connection would outlive its request's deadline, waiting for Redis.
  const reconnectErrors = () => api!.logs().filter((line) => line.msg === 'redis connection error').length;
  await waitFor(() => reconnectErrors() >= 5, { timeoutMs: 15_000, message: 'the API retrying its connection' });
  const refused = await client.post('/v1/events', { type: 'during.down' });
  expect(refused.status).toBe(503);

  redis = await startRedisServer({ port });
  await waitFor(async () => (await fetch(`${api!.url}/readyz`)).status === 200, { timeoutMs: 20_000, message: 'the API ready again' });
  expect((await client.post('/v1/events', { type: 'after.down' })).status).toBe(202);
  // Commands run in order: had the refused one been kept for later, it would come before this one.
  const probe = createRedis({ url: redis.url, cluster: false });
  try {
    const entries = (await probe.xrange('down:events', '-', '+')) as [string, string[]][];
    expect(entries.map(([, fields]) => JSON.parse(fields[1]!).type)).toEqual(['after.down']);
  } finally {
    probe.disconnect();
  }
}, 60_000);
