// The attempt-recording script against the run's real redis-server: logs, counters, dead letters
// and the circuit breaker written in one command.
import { createRedis, redisKeys, type DeliveryAttempt, type RedisClient, type Webhook } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { DeliveryPolicies } from '../policies/delivery-policies';
import { AttemptRecorder } from './attempt-recorder';

const keys = redisKeys(uniquePrefix('attempt-recorder'));
let redis: RedisClient;
let policies: DeliveryPolicies;

beforeAll(() => {
  redis = createRedis({ url: testRedisUrl(), cluster: false });
  policies = new DeliveryPolicies(redis, keys, { failureThreshold: 2, cooldownMs: 60_000, disableAfterMs: 86_400_000, probeLeaseMs: 15_000 });
});

afterAll(() => redis.disconnect());

const webhook = (id: string) => ({ id, circuitBreaker: { enabled: true }, timeoutMs: 5000 }) as unknown as Webhook;

function attempt(webhookId: string, eventId: string, outcome: DeliveryAttempt['outcome']): DeliveryAttempt {
  return {
    id: `${eventId}.${webhookId}#1`,
    deliveryId: `${eventId}.${webhookId}`,
    webhookId,
    eventId,
    eventType: 'order.created',
    tenant: 'default',
    attempt: 1,
    outcome,
    durationMs: 12.5,
    timestamp: new Date().toISOString(),
  };
}

it('writes the webhook log, counters and the event list, which expires', async () => {
  const recorder = new AttemptRecorder(redis, keys, policies, { logSize: 2, eventAttemptsTtlMs: 60_000 });
  for (const event of ['evt_a', 'evt_b', 'evt_c']) await recorder.record({ attempt: attempt('wh_log', event, 'success') });

  const log = (await redis.lrange(keys.attempts('wh_log'), 0, -1)).map((json) => JSON.parse(json).eventId);
  expect(log).toEqual(['evt_c', 'evt_b']);
  expect(await redis.hgetall(keys.webhookStats('wh_log'))).toEqual({ total: '3', success: '3', durationMsTotal: '39' });
  expect(await redis.lrange(keys.eventAttempts('evt_a'), 0, -1)).toHaveLength(1);
  const ttl = await redis.ttl(keys.eventAttempts('evt_a'));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60);
});

it('keeps no event attempt list when its TTL is 0, and still logs the attempt for the webhook', async () => {
  const recorder = new AttemptRecorder(redis, keys, policies, { logSize: 10, eventAttemptsTtlMs: 0 });
  await recorder.record({ attempt: attempt('wh_nolist', 'evt_nolist', 'success') });
  expect(await redis.exists(keys.eventAttempts('evt_nolist'))).toBe(0);
  expect(await redis.llen(keys.attempts('wh_nolist'))).toBe(1);
});

it('opens the circuit at the failure threshold and closes it on the next answer', async () => {
  const recorder = new AttemptRecorder(redis, keys, policies, { logSize: 10, eventAttemptsTtlMs: 0 });
  const hook = webhook('wh_circuit');
  const fail = (event: string) =>
    recorder.record({ attempt: attempt(hook.id, event, 'retry'), circuit: { webhook: hook, effect: 'failure', deliveryToken: event } });
  const succeed = (event: string) =>
    recorder.record({ attempt: attempt(hook.id, event, 'success'), circuit: { webhook: hook, effect: 'success', deliveryToken: event } });

  expect(await succeed('evt_0')).toEqual({ transition: '', disable: false });
  expect(await redis.exists(keys.circuit(hook.id))).toBe(0);
  expect(await fail('evt_1')).toEqual({ transition: '', disable: false });
  expect(await fail('evt_2')).toEqual({ transition: 'opened', disable: false });
  expect(await redis.hget(keys.circuit(hook.id), 'state')).toBe('open');
  expect(await redis.sismember(keys.openCircuits, hook.id)).toBe(1);
  expect(await succeed('evt_3')).toEqual({ transition: 'closed', disable: false });
  expect(await redis.exists(keys.circuit(hook.id))).toBe(0);
  expect(await redis.sismember(keys.openCircuits, hook.id)).toBe(0);
});

it('gives a half-open probe its turn back when it never reached the endpoint', async () => {
  const recorder = new AttemptRecorder(redis, keys, policies, { logSize: 10, eventAttemptsTtlMs: 0 });
  const hook = webhook('wh_probe');
  await redis.hset(keys.circuit(hook.id), 'state', 'half_open', 'probe', 'job-probe', 'probeUntil', Date.now() + 60_000, 'failures', 3);
  const refused = (token: string) =>
    recorder.record({ attempt: attempt(hook.id, `evt_${token}`, 'dead_letter'), circuit: { webhook: hook, effect: 'neutral', deliveryToken: token } });

  expect(await refused('job-other')).toEqual({ transition: '', disable: false });
  expect(await redis.hget(keys.circuit(hook.id), 'probe')).toBe('job-probe');
  expect(await refused('job-probe')).toEqual({ transition: '', disable: false });
  expect(await redis.hgetall(keys.circuit(hook.id))).toEqual({ state: 'half_open', failures: '3' });
});

it('parks a dead letter with the attempt, and returns no circuit change when none was asked', async () => {
  const recorder = new AttemptRecorder(redis, keys, policies, { logSize: 10, eventAttemptsTtlMs: 0 });
  const dead = attempt('wh_dead', 'evt_dead', 'dead_letter');
  const change = await recorder.record({
    attempt: dead,
    deadLetter: {
      id: dead.deliveryId,
      webhookId: 'wh_dead',
      tenant: 'default',
      event: { id: 'evt_dead', type: 'order.created', tenant: 'default', data: {}, occurredAt: dead.timestamp, receivedAt: Date.now() },
      attempts: 1,
      lastError: 'HTTP 400',
      lastStatusCode: 400,
      deadLetteredAt: dead.timestamp,
      replays: 0,
    },
  });
  expect(change).toBeNull();
  expect(await redis.hexists(keys.deadLetters, dead.deliveryId)).toBe(1);
  const parkedAt = await redis.zscore(keys.deadLettersByTime, dead.deliveryId);
  expect(parkedAt).not.toBeNull();
  expect(await redis.zscore(keys.deadLettersOfWebhook('wh_dead'), dead.deliveryId)).toBe(parkedAt);
  expect(await redis.zscore(keys.deadLettersOfTenant('default'), dead.deliveryId)).toBe(parkedAt);
  expect(await redis.hget(keys.webhookStats('wh_dead'), 'dead_letter')).toBe('1');

  // A replay that succeeds clears its dead letter from every index.
  await recorder.record({ attempt: { ...dead, attempt: 2, outcome: 'success' }, clearDeadLetter: dead.deliveryId });
  expect(await redis.hexists(keys.deadLetters, dead.deliveryId)).toBe(0);
  for (const index of [keys.deadLettersByTime, keys.deadLettersOfWebhook('wh_dead'), keys.deadLettersOfTenant('default')]) {
    expect(await redis.zscore(index, dead.deliveryId)).toBeNull();
  }
});
