// Operational events against the run's real redis-server: the once-per-window gate, shared by all
// workers, and asked of Redis only while it may be open.
import { createLogger, createRedis, redisKeys, type RedisClient } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { OperationalEvents } from './operational-events';

const keys = redisKeys(uniquePrefix('operational-events'));
const logger = createLogger({ name: 'operational-events-test', level: 'silent' });
let redis: RedisClient;

beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false });
});

afterAll(() => redis.disconnect());

const webhook = { id: 'wh_gated', tenant: 'default' };
const published = async () => (await redis.xrange(keys.eventsStream, '-', '+')).length;

it('publishes once per window across workers, and stops asking Redis while the gate is known closed', async () => {
  const workers = [new OperationalEvents(redis, keys, logger), new OperationalEvents(redis, keys, logger)];
  const gateCalls = jest.spyOn(redis, 'set');
  for (let i = 0; i < 20; i++) {
    for (const worker of workers) await worker.emit('rate_limit.exceeded', webhook, { perSecond: 1 }, 60_000);
  }
  expect(await published()).toBe(1);
  // The first worker opened the gate once; the second found it closed once: two calls in all.
  expect(gateCalls).toHaveBeenCalledTimes(2);
  gateCalls.mockRestore();
});
