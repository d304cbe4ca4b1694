import { Router } from 'express';
import type { Queue } from 'bullmq';
import { CircuitBreaker, DeliveryCounters, FANOUT_GROUP, type DeadLetterStore, type RedisKeys, type RedisClient } from '@herald/shared';
import { requireAdmin } from '../middleware/auth';
import type { Stats } from '../schemas/responses';

/**
 * GET /v1/stats (admin): events and delivery outcomes per minute over the last hour, delivery
 * totals and rates (DeliveryCounters), queue depths, dead letters, open circuits, the stream.
 */
export function statsRouter(redis: RedisClient, keys: RedisKeys, queue: Queue, deadLetters: DeadLetterStore): Router {
  const router = Router();
  const circuits = new CircuitBreaker(redis, keys);
  const counters = new DeliveryCounters(redis, keys);
  router.get('/', requireAdmin, async (_req, res) => {
    const [counts, queueCounts, deadLetterCount, circuitsOpen, streamLength, pending] = await Promise.all([
      counters.lastHour(),
      queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
      deadLetters.count(),
      circuits.openCount(),
      redis.xlen(keys.eventsStream),
      redis.xpending(keys.eventsStream, FANOUT_GROUP).catch(() => [0]) as Promise<[number, ...unknown[]]>,
    ]);
    res.json({
      ...counts,
      queue: queueCounts,
      deadLetters: deadLetterCount,
      circuitsOpen,
      stream: { length: streamLength, pending: Number(pending[0] ?? 0) },
    } satisfies Stats);
  });
  return router;
}
