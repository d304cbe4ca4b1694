// FIFO lines against the run's real redis-server: a head waits for every earlier entry to be
// planned, goes out once, and the operator's skip and replay put the line where they should.
import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '../test-redis';
import { redisKeys } from '../keys';
import type { RedisClient } from '../redis-client';
import type { StoredEvent } from '../schemas/event';
import { PayloadStore } from '../payloads/payload-store';
import { FifoLines, fifoLineOf, fifoOrderKey, parseFifoMember, type FifoDelivery } from './fifo-lines';

let redis: RedisClient;

beforeAll(() => (redis = connectTestRedis()));

afterAll(() => redis.disconnect());

function setup() {
  const keys = redisKeys(`test-fifo-${randomBytes(4).toString('hex')}`);
  return { keys, lines: new FifoLines(redis, keys), payloads: new PayloadStore(redis, keys) };
}

const event = (n: number, data: Record<string, unknown> = { n }): StoredEvent => ({
  id: `evt_${n}`, type: 'order.changed', tenant: 'acme', data, occurredAt: new Date().toISOString(), receivedAt: Date.now(),
});
const delivery = (n: number, line = 'a'): FifoDelivery => ({ webhookId: 'wh_1', line, entryId: `1700000000000-${n}`, event: event(n) });

describe('order keys', () => {
  it('sort as stream entry ids do', () => {
    const ids = ['1700000000000-0', '1700000000000-9', '1700000000000-10', '1700000000001-0', '999-5', '10000000000000-2'];
    const byId = [...ids].sort((a, b) => {
      const [am, as] = a.split('-').map(Number) as [number, number];
      const [bm, bs] = b.split('-').map(Number) as [number, number];
      return am - bm || as - bs;
    });
    expect([...ids].sort((a, b) => (fifoOrderKey(a) < fifoOrderKey(b) ? -1 : 1))).toEqual(byId);
    expect(fifoOrderKey('1700000000000-9')).toHaveLength(26);
  });

  it('name a line by the key value as text, the empty line without one, a long one by its hash', () => {
    const ordering = { mode: 'fifo' as const, key: 'data.order.id', onExhausted: 'skip' as const };
    expect(fifoLineOf(ordering, event(1, { order: { id: 'o-1' } }))).toBe('o-1');
    expect(fifoLineOf(ordering, event(1, { order: { id: 42 } }))).toBe('42');
    expect(fifoLineOf(ordering, event(1, { order: {} }))).toBe('');
    expect(fifoLineOf(ordering, event(1, { order: { id: null } }))).toBe('');
    expect(fifoLineOf(ordering, event(1, { order: 'flat' }))).toBe('');
    expect(fifoLineOf(ordering, event(1, { order: { id: 'x'.repeat(201) } }))).toMatch(/^~sha256:[0-9a-f]{64}$/);
    expect(fifoLineOf({ mode: 'fifo', onExhausted: 'skip' }, event(1))).toBe('');
    // Own fields only: nothing from the prototype.
    expect(fifoLineOf({ mode: 'fifo', key: 'data.toString', onExhausted: 'skip' }, event(1))).toBe('');
    expect(fifoLineOf({ mode: 'fifo', key: 'data.hasOwnProperty', onExhausted: 'skip' }, event(1, { hasOwnProperty: 'mine' }))).toBe('mine');
    expect(fifoLineOf({ mode: 'fifo', key: 'tenant', onExhausted: 'skip' }, event(1))).toBe('acme');
    expect(parseFifoMember(`${fifoOrderKey('5-1')}|evt|with|bars|3`)).toEqual({ orderKey: fifoOrderKey('5-1'), eventId: 'evt|with|bars', replay: 3 });
  });
});

it('sends a head out only once every earlier entry is planned, and one head per line at a time', async () => {
  const { keys, lines, payloads } = setup();
  // Entries 1–4 read by two fan-outs at once: 1–2 by one, 3–4 by the other.
  await redis.zadd(keys.fifoPlanning, 0, fifoOrderKey('1700000000000-1'), 0, fifoOrderKey('1700000000000-2'), 0, fifoOrderKey('1700000000000-3'), 0, fifoOrderKey('1700000000000-4'));
  // The later batch is planned first: its deliveries wait for the earlier one.
  expect(await lines.append(['1700000000000-3', '1700000000000-4'], [delivery(3), delivery(4)], 60_000)).toEqual([]);
  expect(await payloads.references('evt_3')).toBe(1);
  const heads = await lines.append(['1700000000000-1', '1700000000000-2'], [delivery(1), delivery(2)], 60_000);
  expect(heads.map((h) => [h.eventId, h.line, h.replay])).toEqual([['evt_1', 'a', 0]]);
  // Planned again (a claim): nothing new, no second reference, no second head.
  expect(await lines.append(['1700000000000-1'], [delivery(1)], 60_000)).toEqual([]);
  expect(await payloads.references('evt_1')).toBe(1);
  expect(await redis.hget(keys.settledDeliveries('evt_1'), 'wh_1')).toBe('1');
  expect(await lines.pump(100)).toEqual([]);
  expect(await lines.status('wh_1')).toMatchObject({ deliveries: 4, lines: 1, inFlight: 1, blocked: 0 });
});

it('lets a later line go while an earlier entry of another line is still being planned only when the head is before it', async () => {
  const { keys, lines } = setup();
  await redis.zadd(keys.fifoPlanning, 0, fifoOrderKey('1700000000000-5'));
  // Line b's head (entry 6) is after entry 5, still being planned: it waits; line c's (entry 4) is before it.
  await redis.zadd(keys.fifoPlanning, 0, fifoOrderKey('1700000000000-4'), 0, fifoOrderKey('1700000000000-6'));
  const heads = await lines.append(['1700000000000-4', '1700000000000-6'], [delivery(4, 'c'), delivery(6, 'b')], 60_000);
  expect(heads.map((h) => h.line)).toEqual(['c']);
  expect(await redis.zcard(keys.fifoWaiting)).toBe(1);
  // Entry 5 planned (no FIFO delivery of its own): line b goes.
  const after = await lines.append(['1700000000000-5'], [], 60_000);
  expect(after.map((h) => [h.line, h.eventId])).toEqual([['b', 'evt_6']]);
  expect(await redis.zcard(keys.fifoWaiting)).toBe(0);
});

it('skips a blocked head and puts a replay in place of it or at the tail', async () => {
  const { keys, lines, payloads } = setup();
  const [head] = await lines.append(['1700000000000-1', '1700000000000-2', '1700000000000-3'], [delivery(1), delivery(2), delivery(3)], 60_000);
  expect(head?.eventId).toBe('evt_1');
  // The head spends its attempts under block (the settle script's part, done here by hand).
  await redis.hdel(keys.fifoBusy('wh_1'), 'a');
  await redis.hset(keys.fifoBlocked('wh_1'), 'a', JSON.stringify({ m: head!.member, since: new Date().toISOString(), error: 'fifo_blocked: 503' }));
  expect(await lines.skip('wh_1', 'b')).toBeUndefined();

  // A replay of the blocked head takes its place: it is still first.
  expect(await lines.replay('wh_1', 'a', event(1), 1, true)).toBe('head');
  expect((await lines.pump(10)).map((h) => [h.eventId, h.replay])).toEqual([['evt_1', 1]]);
  expect(await lines.status('wh_1')).toMatchObject({ deliveries: 3, blocked: 0, inFlight: 1 });

  // Blocked again, then skipped: the next one goes, the skipped one's payload is its dead letter's.
  await redis.hdel(keys.fifoBusy('wh_1'), 'a');
  const [, replayed] = (await redis.zrange(keys.fifoLine('wh_1', 'a'), 0, 0))[0]!.split('|');
  expect(replayed).toBe('evt_1');
  await redis.hset(keys.fifoBlocked('wh_1'), 'a', JSON.stringify({ m: (await redis.zrange(keys.fifoLine('wh_1', 'a'), 0, 0))[0], since: '', error: '' }));
  expect(await lines.skip('wh_1', 'a')).toBe('evt_1');
  expect((await lines.pump(10)).map((h) => h.eventId)).toEqual(['evt_2']);

  // A replay of another dead letter goes to the tail, taking a reference when its dead letter held none.
  expect(await lines.replay('wh_1', 'a', event(9), 1, false)).toBe('tail');
  expect(await payloads.references('evt_9')).toBe(1);
  expect((await redis.zrange(keys.fifoLine('wh_1', 'a'), 0, -1)).map((m) => parseFifoMember(m).eventId)).toEqual(['evt_2', 'evt_3', 'evt_9']);
  expect(await lines.status('wh_1')).toMatchObject({ deliveries: 3, lines: 1, blocked: 0 });
  // The same replay again (a second operator, a retried call) adds nothing and takes no reference.
  expect(await lines.replay('wh_1', 'a', event(9), 1, false)).toBeUndefined();
  expect(await payloads.references('evt_9')).toBe(1);
});

it('sends a head out again whose job is gone, and reads the figures the gauges show', async () => {
  const { keys, lines } = setup();
  await lines.append(['1700000000000-1', '1700000000000-2'], [delivery(1), delivery(2, 'b')], 60_000);
  // No job was made for either (its worker died): not yet stale…
  expect((await lines.recover(60_000)).heads).toEqual([]);
  // …then stale: both go again, with new job numbers.
  const { heads, figures } = await lines.recover(0, Date.now() + 1);
  expect(heads.map((h) => h.line).sort()).toEqual(['a', 'b']);
  expect(heads.map((h) => h.n).sort()).toEqual([3, 4]);
  expect(figures).toEqual([{ webhookId: 'wh_1', deliveries: 2, lines: 2, oldestHeadMs: 1_700_000_000_000, blocked: 0 }]);
  expect(await redis.smembers(keys.fifoWebhooks)).toEqual(['wh_1']);
});
