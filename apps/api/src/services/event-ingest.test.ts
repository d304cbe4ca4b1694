// EventIngest against the run's real redis-server: what a consumer of the stream sees of a batch.
import { BacklogFullError, EventsStream, FANOUT_GROUP, PartitionLayout, createRedis, type ParsedEventInput, type RedisClient } from '@herald/shared';
import { testRedisUrl, uniquePrefix, waitFor } from '@herald/testing';
import { EventIngest, type AcceptedEvent } from './event-ingest';

const layout = new PartitionLayout(uniquePrefix('event-ingest'), 1);
const keys = layout.keys(0);
const readerName = `event-ingest-reader-${process.pid}`;
let redis: RedisClient;
let reader: RedisClient;

beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false });
  reader = createRedis({ url: testRedisUrl(), cluster: false }, { connectionName: readerName });
});

afterAll(() => {
  redis.disconnect();
  reader.disconnect();
});

const event = (n: number, id?: string): AcceptedEvent => {
  const input = { type: 'order.created', tenant: 'default', data: { n }, ...(id ? { id } : {}) } as ParsedEventInput;
  return { event: input, json: JSON.stringify(input) };
};

it('appends a batch at once: a reader blocked on the stream wakes with every event of it', async () => {
  await redis.xgroup('CREATE', keys.eventsStream, 'readers', '$', 'MKSTREAM');
  const read = reader.xreadgroup('GROUP', 'readers', 'r1', 'COUNT', 100, 'BLOCK', 5000, 'STREAMS', keys.eventsStream, '>') as Promise<
    [string, [string, string[]][]][] | null
  >;
  const blocked = async () => (await redis.client('LIST') as string).split('\n').some((line) => line.includes(`name=${readerName} `) && / cmd=xreadgroup/.test(line));
  await waitFor(blocked, { timeoutMs: 5000, message: 'the reader blocked on the stream' });
  const ingest = new EventIngest(redis, layout, { streamMaxLen: 1000, idempotencyTtlSeconds: 60 });
  const results = await ingest.ingest([event(1), event(2, 'key-a'), event(3), event(4, 'key-a'), event(5)]);

  expect(results.map((result) => result.duplicate)).toEqual([false, false, false, true, false]);
  const entries = (await read)?.[0]?.[1] ?? [];
  const eventOf = (fields: string[]) => JSON.parse(fields[fields.indexOf('event') + 1] as string);
  expect(entries.map(([, fields]) => eventOf(fields).data.n)).toEqual([1, 2, 3, 5]);
});

it('accepts nothing while the workers\' unread backlog is at the limit, and accepts again once they read', async () => {
  const backlogLayout = new PartitionLayout(uniquePrefix('event-ingest-backlog'), 1);
  const backlogKeys = backlogLayout.keys(0);
  await new EventsStream(redis, backlogKeys).ensureGroup();
  const ingest = new EventIngest(redis, backlogLayout, { streamMaxLen: 1000, idempotencyTtlSeconds: 60 });
  await ingest.ingest(Array.from({ length: 1000 }, (_, n) => event(n)));

  const refused = ingest.ingest([event(1000), event(1001, 'key-b')]);
  await expect(refused).rejects.toBeInstanceOf(BacklogFullError);
  await expect(refused).rejects.toMatchObject({ unread: 1000, limit: 1000 });
  // Nothing of the refused request was kept: neither its events nor its idempotency key.
  expect(await redis.xlen(backlogKeys.eventsStream)).toBe(1000);
  expect(await redis.exists(backlogKeys.idempotency('default', 'key-b'))).toBe(0);

  await redis.xreadgroup('GROUP', FANOUT_GROUP, 'worker', 'COUNT', 10, 'STREAMS', backlogKeys.eventsStream, '>');
  const accepted = await ingest.ingest([event(1000), event(1001, 'key-b')]);
  expect(accepted.map((result) => result.duplicate)).toEqual([false, false]);
  expect(await redis.xlen(backlogKeys.eventsStream)).toBe(1002);
});

it('with partitions, puts each event in the partition of its tenant and key, where a repeated key is found', async () => {
  const partitioned = new PartitionLayout(uniquePrefix('event-ingest-partitions'), 4);
  const ingest = new EventIngest(redis, partitioned, { streamMaxLen: 1000, idempotencyTtlSeconds: 60 });
  const first = await ingest.ingest(Array.from({ length: 40 }, (_, n) => event(n, `key-${n}`)));
  const again = await ingest.ingest(Array.from({ length: 40 }, (_, n) => event(n, `key-${n}`)));

  expect(first.every((result) => !result.duplicate)).toBe(true);
  expect(again.map((result) => result.id)).toEqual(first.map((result) => result.id));
  expect(again.every((result) => result.duplicate)).toBe(true);
  const lengths = await Promise.all(partitioned.all().map((n) => redis.xlen(partitioned.keys(n).eventsStream)));
  // Every event once, in the partition its tenant and key hash to, and every partition used.
  expect(lengths.reduce((total, n) => total + n, 0)).toBe(40);
  for (const n of partitioned.all()) {
    const entries = (await redis.xrange(partitioned.keys(n).eventsStream, '-', '+')) as [string, string[]][];
    for (const [, fields] of entries) {
      const key = JSON.parse(fields[fields.indexOf('event') + 1] as string).id as string;
      expect(partitioned.ofIngest('default', key)).toBe(n);
    }
  }
  expect(lengths.every((length) => length > 0)).toBe(true);
});
