// The settler and its script (lua/settle-n.lua) against the run's real redis-server: attempt logs,
// counters, dead letters, the circuit breaker and stream entries, many deliveries per call.
import type { Queue } from 'bullmq';
import {
  fifoOrderKey,
  DELIVERIES_PER_MINUTE_TTL_SECONDS,
  FANOUT_GROUP,
  createDeliveryQueue,
  createLogger,
  createRedis,
  deliveryJob,
  EventsStream,
  redisKeys,
  type CircuitChanges,
  type DeadLetter,
  type DeliveryAttempt,
  type RedisClient,
  type StoredEvent,
} from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { Settler, type EntryRef, type Settlement } from './settler';
import type { SettleLimits } from './settle-script';

const prefix = uniquePrefix('settler');
const keys = redisKeys(prefix);
let redis: RedisClient;
let queueConnection: RedisClient;
let queue: Queue;
const changes: { webhookId: string; changes: CircuitChanges; reason: string | undefined }[] = [];
const backlogFull: string[] = [];

const LIMITS: SettleLimits = {
  logSize: 2, eventAttemptsKept: 200, eventAttemptsTtlMs: 60_000, markerTtlMs: 60_000, invalidMaxLen: 1000, disableAfterMs: 86_400_000,
};
function settler(limits: Partial<SettleLimits> = {}): Settler {
  return new Settler({
    redis, keys, queue, logger: createLogger({ name: 'settler-test', level: 'silent' }), limits: { ...LIMITS, ...limits },
    retry: { tries: 2, firstWaitMs: 10 },
    onCircuitChanges: (webhook, c, reason) => changes.push({ webhookId: webhook.id, changes: c, reason }),
    onBacklogFull: (webhook) => backlogFull.push(webhook.id),
  });
}

/** The webhooks these tests settle deliveries for; only a webhook that exists keeps a log, counters and a circuit. */
const WEBHOOK_IDS = [
  'wh_circuit', 'wh_dead', 'wh_doomed', 'wh_fine', 'wh_fine2', 'wh_flaky', 'wh_log', 'wh_log2', 'wh_nolist', 'wh_ok_a', 'wh_ok_b', 'wh_one',
  'wh_many_a', 'wh_many_b', 'wh_poison', 'wh_probe', 'wh_refused', 'wh_two',
];

beforeAll(async () => {
  redis = createRedis({ url: testRedisUrl(), cluster: false });
  queueConnection = createRedis({ url: testRedisUrl(), cluster: false });
  queue = createDeliveryQueue(queueConnection, prefix);
  await redis.hset(keys.webhooks, Object.fromEntries(WEBHOOK_IDS.map((id) => [id, '{}'])));
});

afterAll(async () => {
  await queue.close();
  queueConnection.disconnect();
  redis.disconnect();
});

const event = (id: string): StoredEvent => ({ id, type: 'order.created', tenant: 'default', data: {}, occurredAt: new Date().toISOString(), receivedAt: Date.now() });

function attempt(webhookId: string, eventId: string, outcome: DeliveryAttempt['outcome'], n = 1): DeliveryAttempt {
  return {
    id: `${eventId}.${webhookId}#${n}`, deliveryId: `${eventId}.${webhookId}`, webhookId, eventId, eventType: 'order.created', tenant: 'default',
    attempt: n, outcome, durationMs: 12.5, timestamp: new Date().toISOString(),
  };
}

const breaker = { enabled: true, failureThreshold: 2, failureRatio: 0.5, windowMs: 10_000, cooldownMs: 60_000 };
function tried(webhookId: string, eventId: string, effect: 'success' | 'failure' | 'neutral', startedAtMs = Date.now(), token = eventId): Settlement {
  return {
    webhookId, tenant: 'default', attempt: attempt(webhookId, eventId, effect === 'success' ? 'success' : 'retry'),
    ...(effect === 'failure' ? { failureReason: 'HTTP 503' } : {}),
    circuit: { settings: breaker, record: { effect, token, startedAtMs } },
  };
}

/** Entries read (and so pending) by a consumer of the fan-out group. */
async function pendingEntries(count: number): Promise<string[]> {
  await new EventsStream(redis, keys).ensureGroup();
  for (let i = 0; i < count; i++) await redis.xadd(keys.eventsStream, '*', 'event', '{}');
  const read = (await redis.xreadgroup('GROUP', FANOUT_GROUP, 'test', 'COUNT', count, 'STREAMS', keys.eventsStream, '>')) as [string, [string, string[]][]][];
  return read[0]![1].map(([id]) => id);
}
const pendingIds = async () =>
  ((await redis.xpending(keys.eventsStream, FANOUT_GROUP, '-', '+', 100)) as [string, ...unknown[]][]).map(([id]) => id);

it('writes the webhook log, counters and the event list (which expires), many deliveries in one script call', async () => {
  const writer = settler();
  // Script calls this client sends: EVALSHA, or EVAL the first time Redis sees the script (other
  // test files share the redis-server, so its own counts would not do).
  const sent = jest.spyOn(redis, 'sendCommand');
  await Promise.all([
    ...['evt_a', 'evt_b', 'evt_c'].map((id) => writer.settle({ webhookId: 'wh_log', tenant: 'default', attempt: attempt('wh_log', id, 'success') })),
    writer.settle({ webhookId: 'wh_log2', tenant: 'default', attempt: attempt('wh_log2', 'evt_a', 'retry') }),
  ]);
  const scriptCalls = sent.mock.calls.filter(([command]) => /^eval(sha)?$/i.test(command.name));
  sent.mockRestore();
  expect(scriptCalls).toHaveLength(1);

  const log = (await redis.lrange(keys.attempts('wh_log'), 0, -1)).map((json) => JSON.parse(json).eventId);
  expect(log).toEqual(['evt_c', 'evt_b']);
  expect(await redis.hgetall(keys.webhookStats('wh_log'))).toEqual({ total: '3', success: '3', durationMsTotal: '38' });
  // The event's own list has its attempts at both webhooks, newest first.
  expect((await redis.lrange(keys.eventAttempts('evt_a'), 0, -1)).map((json) => JSON.parse(json).id)).toEqual(['evt_a.wh_log2#1', 'evt_a.wh_log#1']);
  expect(await redis.lrange(keys.eventAttempts('evt_b'), 0, -1)).toHaveLength(1);
  const ttl = await redis.ttl(keys.eventAttempts('evt_a'));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60);
});

it('counts producers\' delivery attempts by outcome per minute, kept a day, and Herald\'s own events apart', async () => {
  const writer = settler();
  const minuteBefore = Math.floor(Date.now() / 60_000);
  // Other tests of this file settle deliveries too: what this one adds is counted.
  const before = await Promise.all([minuteBefore, minuteBefore + 1].map((m) => redis.hgetall(keys.deliveriesInMinute(m))));
  const operational = { ...attempt('wh_one', 'evt_op', 'success'), eventType: 'circuit_breaker.opened' };
  await Promise.all([
    writer.settle({ webhookId: 'wh_one', tenant: 'default', attempt: attempt('wh_one', 'evt_m1', 'success') }),
    writer.settle({ webhookId: 'wh_one', tenant: 'default', attempt: attempt('wh_one', 'evt_m2', 'success') }),
    writer.settle({ webhookId: 'wh_one', tenant: 'default', attempt: attempt('wh_one', 'evt_m3', 'retry') }),
    writer.settle({ webhookId: 'wh_one', tenant: 'default', attempt: attempt('wh_one', 'evt_m4', 'dead_letter', 4) }),
    writer.settle({ webhookId: 'wh_one', tenant: 'default', attempt: operational }),
  ]);
  // The settle may straddle a minute: its counts are in one minute or the next.
  const minutes = [minuteBefore, minuteBefore + 1];
  const counted = await Promise.all(minutes.map((m) => redis.hgetall(keys.deliveriesInMinute(m))));
  const sum = (outcome: string) => counted.reduce((total, hash, i) => total + Number(hash[outcome] ?? 0) - Number(before[i]![outcome] ?? 0), 0);
  expect({ success: sum('success'), retry: sum('retry'), dead_letter: sum('dead_letter') }).toEqual({ success: 2, retry: 1, dead_letter: 1 });
  for (const m of minutes.filter((_, i) => Object.keys(counted[i]!).length > 0)) {
    const ttl = await redis.ttl(keys.deliveriesInMinute(m));
    expect(ttl).toBeGreaterThan(86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(DELIVERIES_PER_MINUTE_TTL_SECONDS);
  }
});

it('keeps no event attempt list when its TTL is 0, and still logs the attempt for the webhook', async () => {
  await settler({ eventAttemptsTtlMs: 0 }).settle({ webhookId: 'wh_nolist', tenant: 'default', attempt: attempt('wh_nolist', 'evt_nolist', 'success') });
  expect(await redis.exists(keys.eventAttempts('evt_nolist'))).toBe(0);
  expect(await redis.llen(keys.attempts('wh_nolist'))).toBe(1);
});

it('opens the circuit at the failure threshold; an answer to an attempt begun before the opening does not close it, the probe\'s does', async () => {
  const writer = settler();
  const before = Date.now() - 1000;
  changes.length = 0;
  await writer.settle(tried('wh_circuit', 'evt_0', 'success'));
  expect(await redis.exists(keys.circuit('wh_circuit'))).toBe(0);
  await writer.settle(tried('wh_circuit', 'evt_1', 'failure'));
  await writer.settle(tried('wh_circuit', 'evt_2', 'failure'));
  expect(changes).toEqual([{ webhookId: 'wh_circuit', changes: { transitions: ['opened'], disable: false }, reason: 'HTTP 503' }]);
  expect(await redis.hget(keys.circuit('wh_circuit'), 'state')).toBe('open');
  expect(await redis.sismember(keys.openCircuits, 'wh_circuit')).toBe(1);

  // A request that was already in flight when the circuit opened answers: it says nothing new.
  await writer.settle(tried('wh_circuit', 'evt_3', 'success', before));
  expect(await redis.hget(keys.circuit('wh_circuit'), 'state')).toBe('open');
  expect(changes).toHaveLength(1);

  // The probe (the admission script made evt_4 the probe) answers: closed.
  await redis.hset(keys.circuit('wh_circuit'), 'state', 'half_open', 'probe', 'job-probe');
  await writer.settle(tried('wh_circuit', 'evt_4', 'success', before, 'job-probe'));
  expect(changes[1]).toEqual({ webhookId: 'wh_circuit', changes: { transitions: ['closed'], disable: false }, reason: undefined });
  expect(await redis.hmget(keys.circuit('wh_circuit'), 'state', 'failures', 'probe')).toEqual([null, null, null]);
  expect(await redis.sismember(keys.openCircuits, 'wh_circuit')).toBe(0);
});

it('does not open for an endpoint failing one attempt in five, even in streaks of the threshold; does when it goes down', async () => {
  const writer = settler();
  changes.length = 0;
  const pattern = ['success', 'success', 'success', 'failure', 'failure', 'success', 'success', 'success', 'success', 'success'] as const;
  for (let round = 0; round < 5; round++) {
    await Promise.all(pattern.map((effect, i) => writer.settle(tried('wh_flaky', `evt_${round}_${i}`, effect))));
  }
  expect(changes).toEqual([]);
  expect(await redis.hget(keys.circuit('wh_flaky'), 'state')).toBeNull();
  // Down: failures only. The window (10 of 50 failed so far) reaches half failed after 30 more.
  for (let i = 0; i < 29; i++) await writer.settle(tried('wh_flaky', `evt_down_${i}`, 'failure'));
  expect(changes).toEqual([]);
  await writer.settle(tried('wh_flaky', 'evt_down_29', 'failure'));
  expect(changes).toEqual([{ webhookId: 'wh_flaky', changes: { transitions: ['opened'], disable: false }, reason: 'HTTP 503' }]);
});

it('re-opens a half-open circuit only for the probe\'s failure, and gives the probe its turn back when it never reached the endpoint', async () => {
  const writer = settler();
  const openedAt = Date.now();
  await redis.hset(keys.circuit('wh_probe'), 'state', 'half_open', 'probe', 'job-probe', 'probeUntil', openedAt + 60_000, 'failures', 3, 'openedAt', openedAt);
  await writer.settle(tried('wh_probe', 'evt_late', 'failure', openedAt - 5000, 'job-late'));
  expect(await redis.hget(keys.circuit('wh_probe'), 'state')).toBe('half_open');
  await writer.settle(tried('wh_probe', 'evt_other', 'neutral', Date.now(), 'job-other'));
  expect(await redis.hget(keys.circuit('wh_probe'), 'probe')).toBe('job-probe');
  await writer.settle(tried('wh_probe', 'evt_refused', 'neutral', Date.now(), 'job-probe'));
  expect(await redis.hmget(keys.circuit('wh_probe'), 'state', 'probe', 'failures')).toEqual(['half_open', null, '4']);
});

it('says to disable a webhook whose failures have gone on longer than allowed', async () => {
  changes.length = 0;
  await redis.hset(keys.circuit('wh_doomed'), 'state', 'open', 'openedAt', Date.now() - 1000, 'failures', 40, 'firstFailureAt', Date.now() - 2000);
  await settler({ disableAfterMs: 1000 }).settle(tried('wh_doomed', 'evt_doomed', 'failure'));
  expect(changes).toEqual([{ webhookId: 'wh_doomed', changes: { transitions: [], disable: true }, reason: 'HTTP 503' }]);
});

it('parks a dead letter with its indexes, and clears it when a replay succeeds', async () => {
  const writer = settler();
  const dead = attempt('wh_dead', 'evt_dead', 'dead_letter');
  const deadLetter: DeadLetter = {
    id: dead.deliveryId, webhookId: 'wh_dead', tenant: 'default', event: event('evt_dead'), attempts: 1, lastError: 'HTTP 400', lastStatusCode: 400,
    deadLetteredAt: dead.timestamp, replays: 0,
  };
  await writer.settle({ webhookId: 'wh_dead', tenant: 'default', attempt: dead, deadLetter });
  expect(await redis.hexists(keys.deadLetters, dead.deliveryId)).toBe(1);
  const parkedAt = await redis.zscore(keys.deadLettersByTime, dead.deliveryId);
  expect(parkedAt).not.toBeNull();
  expect(await redis.zscore(keys.deadLettersOfWebhook('wh_dead'), dead.deliveryId)).toBe(parkedAt);
  expect(await redis.zscore(keys.deadLettersOfTenant('default'), dead.deliveryId)).toBe(parkedAt);
  expect(await redis.hget(keys.webhookStats('wh_dead'), 'dead_letter')).toBe('1');

  await writer.settle({ webhookId: 'wh_dead', tenant: 'default', attempt: { ...dead, attempt: 2, outcome: 'success' }, clearDeadLetter: true });
  expect(await redis.hexists(keys.deadLetters, dead.deliveryId)).toBe(0);
  for (const index of [keys.deadLettersByTime, keys.deadLettersOfWebhook('wh_dead'), keys.deadLettersOfTenant('default')]) {
    expect(await redis.zscore(index, dead.deliveryId)).toBeNull();
  }
});

it('acknowledges an entry with its last delivery, marking the ones settled before, and counts its event once', async () => {
  const writer = settler();
  const [entryId, emptyId, invalidId] = await pendingEntries(3);
  const entry: EntryRef = { entryId: entryId!, markerId: 'evt_two', countAs: 'default:order.created', operational: false, unsettled: 2, marked: false };
  const counted = async () => Number((await redis.hget(keys.eventTypeCounts, 'default:order.created')) ?? 0);
  const countedBefore = await counted();

  await writer.settle({ webhookId: 'wh_one', tenant: 'default', attempt: attempt('wh_one', 'evt_two', 'success'), entry });
  expect(await redis.hkeys(keys.settledDeliveries('evt_two'))).toEqual(['wh_one']);
  expect(await pendingIds()).toContain(entryId);

  // The second delivery is deferred: its job, and its event's payload, exist before the entry is acknowledged.
  const job = deliveryJob(event('evt_two'), { id: 'wh_two', retry: { strategy: 'exponential', maxRetries: 3, initialDelayMs: 1000, backoffMultiplier: 2, maxDelayMs: 60_000, jitter: 0 } }, { delayMs: 60_000 });
  await writer.settle({ webhookId: 'wh_two', tenant: 'default', queued: { job, event: event('evt_two') }, entry });
  expect((await queue.getJob('evt_two.wh_two'))?.data).toMatchObject({ eventId: 'evt_two' });
  expect(await redis.get(keys.payload('evt_two'))).toMatch(/^00000001\{.*"id":"evt_two"/);
  expect(await pendingIds()).not.toContain(entryId);
  expect(await redis.exists(keys.settledDeliveries('evt_two'))).toBe(0);
  expect(await counted()).toBe(countedBefore + 1);

  // An entry no webhook wanted, and one that is not an event.
  await Promise.all([
    writer.finish({ entryId: emptyId!, markerId: 'evt_empty', countAs: undefined, operational: false, unsettled: 0, marked: false }),
    writer.invalid(invalidId!, 'invalid event: type: required', ['event', '{}']),
  ]);
  expect(await pendingIds()).toEqual([]);
  const invalid = (await redis.xrange(keys.invalidEventsStream, '-', '+')) as [string, string[]][];
  expect(invalid.map(([, fields]) => fields.slice(0, 6))).toEqual([['entryId', invalidId, 'reason', 'invalid event: type: required', 'fields', '["event","{}"]']]);
  expect(await counted()).toBe(countedBefore + 1);
});

it('marks the deliveries of an entry of several events by delivery id under the entry\'s own id, and acknowledges it with the last', async () => {
  const writer = settler();
  const [entryId] = await pendingEntries(1);
  // Routed here from another partition: two events, three deliveries; counted where they were published.
  const entry: EntryRef = { entryId: entryId!, markerId: entryId!, manyEvents: true, countAs: undefined, operational: false, unsettled: 3, marked: false };
  await Promise.all([
    writer.settle({ webhookId: 'wh_many_a', tenant: 'default', attempt: attempt('wh_many_a', 'evt_many1', 'success'), entry, deliveryId: 'evt_many1.wh_many_a' }),
    writer.settle({ webhookId: 'wh_many_a', tenant: 'default', attempt: attempt('wh_many_a', 'evt_many2', 'success'), entry, deliveryId: 'evt_many2.wh_many_a' }),
  ]);
  expect((await redis.hkeys(keys.settledDeliveries(entryId!))).sort()).toEqual(['evt_many1.wh_many_a', 'evt_many2.wh_many_a']);
  // The marker's TTL is set when it is made.
  expect(await redis.pttl(keys.settledDeliveries(entryId!))).toBeGreaterThan(LIMITS.markerTtlMs - 5000);
  expect(await pendingIds()).toContain(entryId);

  await writer.settle({ webhookId: 'wh_many_b', tenant: 'default', attempt: attempt('wh_many_b', 'evt_many1', 'success'), entry, deliveryId: 'evt_many1.wh_many_b' });
  expect(await pendingIds()).not.toContain(entryId);
  expect(await redis.exists(keys.settledDeliveries(entryId!))).toBe(0);
});

it('leaves an entry unacknowledged when a write of one of its deliveries fails, marking the others settled', async () => {
  const writer = settler();
  const [entryId] = await pendingEntries(1);
  const entry: EntryRef = { entryId: entryId!, markerId: 'evt_broken', countAs: 'default:order.created', operational: false, unsettled: 3, marked: false };
  // The first webhook's attempt log is not a list: Redis refuses the write.
  await redis.set(keys.attempts('wh_refused'), 'not a list');
  const refused = writer.settle({ webhookId: 'wh_refused', tenant: 'default', attempt: attempt('wh_refused', 'evt_broken', 'dead_letter'), entry });
  await expect(refused).rejects.toThrow(/WRONGTYPE/);
  expect(entry.broken).toBe(true);

  // The others settle, and are marked so; the entry is not acknowledged: a claim runs the lost one again.
  await writer.settle({ webhookId: 'wh_fine', tenant: 'default', attempt: attempt('wh_fine', 'evt_broken', 'success'), entry });
  await writer.settle({ webhookId: 'wh_fine2', tenant: 'default', attempt: attempt('wh_fine2', 'evt_broken', 'success'), entry });
  expect(await pendingIds()).toContain(entryId);
  expect((await redis.hkeys(keys.settledDeliveries('evt_broken'))).sort()).toEqual(['wh_fine', 'wh_fine2']);
  await redis.xack(keys.eventsStream, FANOUT_GROUP, entryId!);
});

it('writes each of a failing batch alone, so that one refused write does not sink the others', async () => {
  const writer = settler();
  await redis.set(keys.attempts('wh_poison'), 'not a list');
  const results = await Promise.allSettled([
    writer.settle({ webhookId: 'wh_ok_a', tenant: 'default', attempt: attempt('wh_ok_a', 'evt_batch', 'success') }),
    writer.settle({ webhookId: 'wh_poison', tenant: 'default', attempt: attempt('wh_poison', 'evt_batch', 'success') }),
    writer.settle({ webhookId: 'wh_ok_b', tenant: 'default', attempt: attempt('wh_ok_b', 'evt_batch', 'success') }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  // A script that fails keeps what it wrote before the error: the first may be logged twice.
  expect(await redis.llen(keys.attempts('wh_ok_a'))).toBeGreaterThanOrEqual(1);
  expect(await redis.llen(keys.attempts('wh_ok_b'))).toBe(1);
});

it('keeps no log, counters or circuit for a webhook deleted while its deliveries were in flight, and still finishes the entry', async () => {
  const writer = settler();
  const [entryId] = await pendingEntries(1);
  const entry: EntryRef = { entryId: entryId!, markerId: 'evt_gone', countAs: 'default:order.created', operational: false, unsettled: 1, marked: false };
  await writer.settle({ ...tried('wh_deleted', 'evt_gone', 'failure'), entry });
  await writer.settle(tried('wh_deleted', 'evt_gone_2', 'failure'));
  expect(changes.filter((c) => c.webhookId === 'wh_deleted')).toEqual([]);
  expect(await redis.exists(keys.attempts('wh_deleted'), keys.webhookStats('wh_deleted'), keys.circuit('wh_deleted'))).toBe(0);
  expect(await redis.sismember(keys.openCircuits, 'wh_deleted')).toBe(0);
  // The event's own record and the totals still count the attempt; the entry is acknowledged.
  expect(await redis.llen(keys.eventAttempts('evt_gone'))).toBe(1);
  expect(await pendingIds()).not.toContain(entryId);
});

it("takes an entry it acknowledges out of the partition's FIFO planning set, whatever its batch's FIFO call did", async () => {
  const writer = settler();
  const [plannedId, otherId] = await pendingEntries(2);
  // Both were recorded as being planned when read (the partition has a FIFO webhook).
  await redis.zadd(keys.fifoPlanning, 0, fifoOrderKey(plannedId!), 0, fifoOrderKey(otherId!));
  await writer.finish({ entryId: plannedId!, markerId: 'evt_planned', countAs: undefined, operational: false, unsettled: 0, marked: false });
  expect(await redis.zrange(keys.fifoPlanning, 0, -1)).toEqual([fifoOrderKey(otherId!)]);
  await writer.finish({ entryId: otherId!, markerId: 'evt_other', countAs: undefined, operational: false, unsettled: 0, marked: false });
  expect(await redis.exists(keys.fifoPlanning)).toBe(0);
});
