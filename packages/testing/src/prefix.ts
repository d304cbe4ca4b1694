import { randomBytes } from 'node:crypto';

/** A Redis key prefix of its own for one test file, so files share one Redis without meeting. */
export function uniquePrefix(name: string): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}

export function testRedisUrl(): string {
  const url = process.env.HERALD_TEST_REDIS_URL;
  if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests through jest (its global setup starts redis-server)');
  return url;
}
