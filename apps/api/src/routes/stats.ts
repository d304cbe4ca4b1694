import { Router } from 'express';
import type { Queue } from 'bullmq';
import { CircuitBreaker, FANOUT_GROUP, execOrThrow, type DeadLetterStore, type RedisKeys, type RedisClient } from '@herald/shared';
import { requireAdmin } from '../middleware/auth';
import type { Stats } from '../schemas/responses';

/** Events fanned out per minute over the last hour, from the per-minute counters. */
function eventRates(perMinute: (string | null)[]) {
  const counts = perMinute.map((value) => Number(value ?? 0));
  return {
    // The current minute is still filling: the last full minute is the rate.
    perMinute: counts.at(-2) ?? 0,
    currentMinute: counts.at(-1) ?? 0,
    lastHour: counts.reduce((sum, n) => sum + n, 0),
    series: counts,
  };
}

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);

/**
 * Delivery attempts by outcome, from a counters hash, with two rates: of the attempts, how many
 * succeeded; of the deliveries settled (delivered or dead-lettered), how many were delivered. A
 * delivery that succeeds at its fourth attempt is one of four attempts, and one delivery of one.
 */
function deliveryTotals(totals: Record<string, string>) {
  const success = Number(totals.success ?? 0);
  const retry = Number(totals.retry ?? 0);
  const deadLetter = Number(totals.dead_letter ?? 0);
  const attempts = success + retry + deadLetter;
  return { attempts, success, retry, deadLetter, successRate: rate(success, attempts), deliveryRate: rate(success, success + deadLetter) };
}

/** Producers' delivery attempts per minute over the last hour, by outcome, oldest first. */
async function deliverySeries(redis: RedisClient, keys: RedisKeys, minutes: number[]) {
  const pipeline = redis.pipeline();
  for (const minute of minutes) pipeline.hmget(keys.deliveriesInMinute(minute), 'success', 'retry', 'dead_letter');
  const replies = (await execOrThrow(pipeline)) as (string | null)[][];
  return replies.map(([success, retry, deadLetter]) => ({ success: Number(success ?? 0), retry: Number(retry ?? 0), deadLetter: Number(deadLetter ?? 0) }));
}

/**
 * GET /v1/stats (admin): events and delivery outcomes per minute over the last hour, delivery
 * totals and rates, queue depths, dead letters, open circuits. Producers' events and Herald's own operational events (circuit_breaker.*,
 * …) are counted apart: an alarm about a broken endpoint must not move the figures of the business
 * it reports on.
 */
export function statsRouter(redis: RedisClient, keys: RedisKeys, queue: Queue, deadLetters: DeadLetterStore): Router {
  const router = Router();
  const circuits = new CircuitBreaker(redis, keys);
  router.get('/', requireAdmin, async (_req, res) => {
    const minute = Math.floor(Date.now() / 60_000);
    const minutes = Array.from({ length: 60 }, (_, i) => minute - 59 + i);
    const [perMinute, deliveriesPerMinute, operationalPerMinute, totals, operationalTotals, queueCounts, deadLetterCount, circuitsOpen, streamLength, pending] = await Promise.all([
      redis.mget(...minutes.map((m) => keys.eventsInMinute(m))),
      deliverySeries(redis, keys, minutes),
      redis.mget(...minutes.map((m) => keys.operationalEventsInMinute(m))),
      redis.hgetall(keys.globalStats),
      redis.hgetall(keys.operationalStats),
      queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
      deadLetters.count(),
      circuits.openCount(),
      redis.xlen(keys.eventsStream),
      redis.xpending(keys.eventsStream, FANOUT_GROUP).catch(() => [0]) as Promise<[number, ...unknown[]]>,
    ]);
    res.json({
      events: eventRates(perMinute),
      deliveries: { ...deliveryTotals(totals), series: deliveriesPerMinute },
      operational: { events: eventRates(operationalPerMinute), deliveries: deliveryTotals(operationalTotals) },
      queue: queueCounts,
      deadLetters: deadLetterCount,
      circuitsOpen,
      stream: { length: streamLength, pending: Number(pending[0] ?? 0) },
    } satisfies Stats);
  });
  return router;
}
