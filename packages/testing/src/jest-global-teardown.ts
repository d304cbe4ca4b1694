export default async function globalTeardown(): Promise<void> {
  const redis = globalThis.__heraldTestRedis;
  if (!redis) return;
  globalThis.__heraldTestRedis = undefined;
  await redis.stop();
}
