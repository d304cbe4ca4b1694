// Jest global setup: one redis-server for the whole run, unless HERALD_TEST_REDIS_URL names one.
import { startRedisServer, type RunningRedis } from './redis-server';

declare global {
   
  var __heraldTestRedis: RunningRedis | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Scripts run in tests check that their keys share a hash slot, as Redis Cluster would (lua-script.ts).
  process.env.HERALD_ASSERT_ONE_SLOT = 'true';
  if (process.env.HERALD_TEST_REDIS_URL) return;
  const redis = await startRedisServer();
  globalThis.__heraldTestRedis = redis;
  // Test workers and later projects' setups inherit this.
  process.env.HERALD_TEST_REDIS_URL = redis.url;
}
