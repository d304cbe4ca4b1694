// Parking and payloads against the run's real redis-server: what the circuit lets out, and a
// payload kept exactly as long as a delivery refers to it.
import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '../test-redis';
import { redisKeys } from '../keys';
import type { RedisClient } from '../redis-client';
import type { StoredEvent } from '../schemas/event';
import { PayloadStore } from '../payloads/payload-store';
import { ParkingLot } from './parking-lot';

let redis: RedisClient;

beforeAll(() => (redis = connectTestRedis()));

afterAll(() => redis.disconnect());

function setup() {
  const keys = redisKeys(`test-parking-${randomBytes(4).toString('hex')}`);
  return { keys, parking: new ParkingLot(redis, keys), payloads: new PayloadStore(redis, keys) };
}

const event = (n: number): StoredEvent => ({ id: `evt_${n}`, type: 'order.created', tenant: 'default', data: { n }, occurredAt: new Date().toISOString(), receivedAt: Date.now() });

it('lets out everything oldest first while the circuit is closed, one probe after the cool-down, none while it cools', async () => {
  const { keys, parking } = setup();
  for (let n = 0; n < 5; n++) expect(await parking.park({ webhookId: 'wh_a', event: event(n), attemptsBefore: n % 2, replay: 0, maxBacklog: 100, inline: true })).toBe(true);
  expect(await parking.webhooks()).toEqual(['wh_a']);

  // Open, cooling down: nothing.
  await redis.hset(keys.circuit('wh_a'), 'state', 'open', 'openUntil', String(Date.now() + 60_000));
  expect(await parking.take('wh_a', { max: 10, breakerEnabled: true, probeGateMs: 1000 })).toEqual([]);
  // Cooled down: the oldest alone, once (the gate holds the next until the probe is on its way).
  await redis.hset(keys.circuit('wh_a'), 'openUntil', String(Date.now() - 1));
  const probe = await parking.take('wh_a', { max: 10, breakerEnabled: true, probeGateMs: 1000 });
  expect(probe.map((p) => p.eventId)).toEqual(['evt_0']);
  expect(await parking.take('wh_a', { max: 10, breakerEnabled: true, probeGateMs: 1000 })).toEqual([]);
  // Half-open with the probe out: nothing. Closed: the oldest `max`, with what each had made.
  await redis.hset(keys.circuit('wh_a'), 'state', 'half_open', 'probe', 'job-1', 'probeUntil', String(Date.now() + 60_000));
  expect(await parking.take('wh_a', { max: 10, breakerEnabled: true, probeGateMs: 1000 })).toEqual([]);
  await redis.del(keys.circuit('wh_a'));
  const taken = await parking.take('wh_a', { max: 3, breakerEnabled: true, probeGateMs: 1000 });
  expect(taken.map((p) => [p.eventId, p.attemptsBefore])).toEqual([['evt_0', 0], ['evt_1', 1], ['evt_2', 0]]);

  // Released, they are gone; the webhook leaves the set with its last one.
  expect(await parking.release('wh_a', taken.map((p) => p.entryId))).toBe(2);
  const rest = await parking.take('wh_a', { max: 10, breakerEnabled: true, probeGateMs: 1000 });
  expect(rest.map((p) => p.eventId)).toEqual(['evt_3', 'evt_4']);
  expect(await parking.release('wh_a', rest.map((p) => p.entryId))).toBe(0);
  expect(await parking.webhooks()).toEqual([]);
  expect(await redis.exists(keys.parked('wh_a'))).toBe(0);
});

it('lets everything out whatever the circuit says when the breaker is off', async () => {
  const { keys, parking } = setup();
  await parking.park({ webhookId: 'wh_b', event: event(1), attemptsBefore: 0, replay: 2, maxBacklog: 100, inline: true });
  await redis.hset(keys.circuit('wh_b'), 'state', 'open', 'openUntil', String(Date.now() + 60_000));
  expect((await parking.take('wh_b', { max: 10, breakerEnabled: false, probeGateMs: 1000 })).map((p) => p.replay)).toEqual([2]);
});

it('parks no more than maxBacklog, writing nothing for one refused', async () => {
  const { keys, parking } = setup();
  expect(await parking.park({ webhookId: 'wh_c', event: event(1), attemptsBefore: 0, replay: 0, maxBacklog: 1, inline: true })).toBe(true);
  expect(await parking.park({ webhookId: 'wh_c', event: event(2), attemptsBefore: 0, replay: 0, maxBacklog: 1, inline: true })).toBe(false);
  expect(await parking.count('wh_c')).toBe(1);
  expect(await redis.exists(keys.payload('evt_2'))).toBe(0);
});

it('keeps one copy of a payload while any delivery refers to it, and lets it go with the last reference', async () => {
  const { keys, payloads } = setup();
  const shared = event(7);
  await payloads.retain([shared, shared]);
  await payloads.retain([shared]);
  expect(await payloads.references('evt_7')).toBe(3);
  expect(await payloads.get('evt_7')).toEqual(shared);
  // One allocation: the count and the event's JSON in one string.
  expect(await redis.get(keys.payload('evt_7'))).toBe(`00000003${JSON.stringify(shared)}`);

  await payloads.release(['evt_7', 'evt_7']);
  expect(await payloads.get('evt_7')).toEqual(shared);
  await payloads.release(['evt_7']);
  expect(await redis.exists(keys.payload('evt_7'))).toBe(0);
  expect(await payloads.get('evt_7')).toBeUndefined();
  // Nothing to give back once it is gone.
  await payloads.release(['evt_7']);
  expect(await payloads.references('evt_7')).toBe(0);
});

it('takes a reference when a parked delivery carried its event itself, and passes the job\'s on otherwise', async () => {
  const { keys, parking, payloads } = setup();
  await parking.park({ webhookId: 'wh_d', event: event(8), attemptsBefore: 1, replay: 0, maxBacklog: 10, inline: true });
  expect(await payloads.references('evt_8')).toBe(1);
  await payloads.retain([event(9)]);
  await parking.park({ webhookId: 'wh_d', event: event(9), attemptsBefore: 1, replay: 0, maxBacklog: 10, inline: false });
  expect(await payloads.references('evt_9')).toBe(1);
  expect(await redis.xlen(keys.parked('wh_d'))).toBe(2);
});
