// The run's real redis-server, for shared's own tests (packages/testing builds on shared, so they
// cannot use its helpers).
import { createRedis } from './redis';
import type { RedisClient } from './redis-client';

/** A connection to the run's redis-server: jest's global setup starts it and names it in HERALD_TEST_REDIS_URL. */
export function connectTestRedis(): RedisClient {
  const url = process.env.HERALD_TEST_REDIS_URL;
  if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests through jest (its global setup starts redis-server)');
  return createRedis({ url, cluster: false });
}
