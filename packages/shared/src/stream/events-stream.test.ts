// EventsStream against the run's real redis-server: trimming keeps every entry the fan-out group
// has not read or not acknowledged, whatever the history length asks.
import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '../test-redis';
import { FANOUT_GROUP, redisKeys } from '../keys';
import type { RedisClient } from '../redis-client';
import { EventsStream } from './events-stream';

let redis: RedisClient;

beforeAll(() => (redis = connectTestRedis()));

afterAll(() => redis.disconnect());

/** A stream of `count` entries under a prefix of its own, and the ids appended, oldest first. */
async function streamOf(count: number, { group }: { group: boolean }) {
  const keys = redisKeys(`test-events-stream-${randomBytes(4).toString('hex')}`);
  const stream = new EventsStream(redis, keys);
  if (group) await stream.ensureGroup();
  const pipeline = redis.pipeline();
  for (let i = 0; i < count; i++) pipeline.xadd(keys.eventsStream, '*', 'event', `{"n":${i}}`);
  const ids = ((await pipeline.exec()) ?? []).map(([, id]) => id as string);
  return { keys, stream, ids };
}

async function read(stream: string, count: number): Promise<string[]> {
  const reply = (await redis.xreadgroup('GROUP', FANOUT_GROUP, 'reader', 'COUNT', count, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
  return reply[0]![1].map(([id]) => id);
}

async function idsIn(stream: string): Promise<Set<string>> {
  return new Set(((await redis.xrange(stream, '-', '+')) as [string, string[]][]).map(([id]) => id));
}

it('trims nothing the workers have not read, however far past the history length', async () => {
  const { keys, stream } = await streamOf(3000, { group: true });
  expect(await stream.trim(1000)).toBe(0);
  expect(await redis.xlen(keys.eventsStream)).toBe(3000);
  expect(await stream.unread()).toBe(3000);
});

it('trims nothing before a group exists, and counts every entry unread', async () => {
  const { keys, stream } = await streamOf(1500, { group: false });
  expect(await stream.unread()).toBe(1500);
  expect(await stream.trim(1000)).toBe(0);
  expect(await redis.xlen(keys.eventsStream)).toBe(1500);
});

it('trims only below the oldest entry still pending, keeping pending and unread entries', async () => {
  const { keys, stream, ids } = await streamOf(3000, { group: true });
  const readIds = await read(keys.eventsStream, 2000);
  // The first 1,500 read are done with; 1,500–1,999 are still being delivered.
  await redis.xack(keys.eventsStream, FANOUT_GROUP, ...readIds.slice(0, 1500));

  const trimmed = await stream.trim(1000);
  const left = await idsIn(keys.eventsStream);
  expect(trimmed).toBeGreaterThan(0);
  expect(ids.slice(1500).every((id) => left.has(id))).toBe(true);
  expect(left.size).toBe(3000 - trimmed);
  expect(await stream.unread()).toBe(1000);
  expect(((await redis.xpending(keys.eventsStream, FANOUT_GROUP)) as [number])[0]).toBe(500);
});

it('trims what was read and acknowledged down to the newest entries the history keeps', async () => {
  const { keys, stream, ids } = await streamOf(2500, { group: true });
  await redis.xack(keys.eventsStream, FANOUT_GROUP, ...(await read(keys.eventsStream, 2500)));

  await stream.trim(1000);
  const left = await idsIn(keys.eventsStream);
  expect(ids.slice(-1000).every((id) => left.has(id))).toBe(true);
  // Whole nodes of entries go at once (XTRIM ~): a node's worth may stay beyond the history.
  expect(left.size).toBeLessThan(1000 + 200);
  expect(await stream.unread()).toBe(0);
});
