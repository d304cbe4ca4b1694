import { Router } from 'express';
import { CircuitStatuses, DeliveryCounters, FANOUT_GROUP, type DeadLetterStore, type PartitionLayout, type RedisClient } from '@herald/shared';
import type { DeliveryQueues } from '../services/delivery-queues';
import { requireAdmin } from '../middleware/auth';
import type { Stats } from '../schemas/responses';

/**
 * GET /v1/stats (admin): events and delivery outcomes per minute over the last hour, delivery
 * totals and rates (DeliveryCounters), queue depths, dead letters, open circuits, the stream: each
 * summed over the partitions.
 */
export function statsRouter(redis: RedisClient, layout: PartitionLayout, queues: DeliveryQueues, deadLetters: DeadLetterStore): Router {
  const router = Router();
  const circuits = new CircuitStatuses(redis, layout);
  const counters = new DeliveryCounters(redis, layout);
  const partitions = layout.all();
  router.get('/', requireAdmin, async (_req, res) => {
    const [counts, queueCounts, deadLetterCount, circuitsOpen, streamLengths, pending] = await Promise.all([
      counters.lastHour(),
      Promise.all(queues.all.map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'))),
      deadLetters.count(),
      circuits.openCount(),
      Promise.all(partitions.map((n) => redis.xlen(layout.keys(n).eventsStream))),
      Promise.all(
        partitions.map((n) =>
          (redis.xpending(layout.keys(n).eventsStream, FANOUT_GROUP) as Promise<[number, ...unknown[]]>).then((reply) => Number(reply[0] ?? 0), () => 0),
        ),
      ),
    ]);
    const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
    const queue: Record<string, number> = {};
    for (const counted of queueCounts) for (const [state, n] of Object.entries(counted)) queue[state] = (queue[state] ?? 0) + n;
    res.json({
      ...counts,
      queue,
      deadLetters: deadLetterCount,
      circuitsOpen,
      stream: { length: sum(streamLengths), pending: sum(pending) },
    } satisfies Stats);
  });
  return router;
}
