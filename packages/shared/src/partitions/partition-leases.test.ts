// Partition leases against the run's real redis-server: shares as workers come, go and die.
import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '../test-redis';
import type { RedisClient } from '../redis-client';
import { PartitionLayout } from './partition-layout';
import { PartitionLeases } from './partition-leases';

const TTL = 5000;
let redis: RedisClient;

beforeAll(() => (redis = connectTestRedis()));

afterAll(() => redis.disconnect());

const layoutOf = (count: number) => new PartitionLayout(`test-leases-${randomBytes(4).toString('hex')}`, count);

it('shares the partitions out about evenly as workers join, with none held twice', async () => {
  const layout = layoutOf(16);
  const a = new PartitionLeases(redis, layout, 'worker-a', TTL);
  const b = new PartitionLeases(redis, layout, 'worker-b', TTL);
  const c = new PartitionLeases(redis, layout, 'worker-c', TTL);
  const t = 1_000_000;
  expect((await a.renew(t)).held).toHaveLength(16);
  // b joins: a lets half go at its next turn, and b takes them at its own.
  expect((await b.renew(t + 100)).held).toHaveLength(0);
  const aGave = await a.renew(t + 1000);
  expect(aGave.held).toHaveLength(8);
  expect(aGave.released).toHaveLength(8);
  expect((await b.renew(t + 1100)).taken).toHaveLength(8);
  // c joins: 16 over 3 is 6, 5, 5.
  await c.renew(t + 1200);
  const turns = [await a.renew(t + 2000), await b.renew(t + 2100), await c.renew(t + 2200)];
  const shares = turns.map((turn) => turn.held.length);
  expect(shares.reduce((sum, n) => sum + n, 0)).toBe(16);
  expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  expect(new Set(turns.flatMap((turn) => turn.held)).size).toBe(16);
});

it('gives a leaving worker’s partitions to the others at once, and a dead one’s once its leases expire', async () => {
  const layout = layoutOf(6);
  const a = new PartitionLeases(redis, layout, 'worker-a', TTL);
  const b = new PartitionLeases(redis, layout, 'worker-b', TTL);
  const c = new PartitionLeases(redis, layout, 'worker-c', TTL);
  const t = 2_000_000;
  await a.renew(t);
  await b.renew(t);
  await c.renew(t);
  for (const turn of [0, 1]) for (const leases of [a, b, c]) await leases.renew(t + 1000 * (turn + 1));
  expect((await a.renew(t + 3000)).held).toHaveLength(2);

  // a drains: its partitions are free at once, b and c share them.
  expect((await a.releaseAll(t + 3100)).held).toEqual([]);
  await b.renew(t + 3200);
  await c.renew(t + 3300);
  expect((await b.renew(t + 3400)).held).toHaveLength(3);
  expect((await c.renew(t + 3500)).held).toHaveLength(3);

  // c dies: until its leases expire b cannot take them, then b holds all six.
  expect((await b.renew(t + 4000)).held).toHaveLength(3);
  expect((await b.renew(t + 3500 + TTL + 1)).held).toHaveLength(6);
});
