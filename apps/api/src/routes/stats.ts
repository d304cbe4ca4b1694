import { Router } from 'express';
import type { Queue } from 'bullmq';
import { FANOUT_GROUP, type DeadLetterStore, type RedisKeys, type RedisClient } from '@herald/shared';
import { requireAdmin } from '../middleware/auth';

/** GET /v1/stats (admin): events per minute, delivery totals and success rate, queue depths, dead letters. */
export function statsRouter(redis: RedisClient, keys: RedisKeys, queue: Queue, deadLetters: DeadLetterStore): Router {
  const router = Router();
  router.get('/', requireAdmin, async (_req, res) => {
    const minute = Math.floor(Date.now() / 60_000);
    const minuteKeys = Array.from({ length: 60 }, (_, i) => keys.eventsInMinute(minute - 59 + i));
    const [perMinute, totals, queueCounts, deadLetterCount, streamLength, pending] = await Promise.all([
      redis.mget(...minuteKeys),
      redis.hgetall(keys.globalStats),
      queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
      deadLetters.count(),
      redis.xlen(keys.eventsStream),
      redis.xpending(keys.eventsStream, FANOUT_GROUP).catch(() => [0]) as Promise<[number, ...unknown[]]>,
    ]);
    const counts = perMinute.map((value) => Number(value ?? 0));
    const success = Number(totals.success ?? 0);
    const retry = Number(totals.retry ?? 0);
    const deadLettered = Number(totals.dead_letter ?? 0);
    const attempts = success + retry + deadLettered;
    res.json({
      events: {
        // The current minute is still filling: the last full minute is the rate.
        perMinute: counts.at(-2) ?? 0,
        currentMinute: counts.at(-1) ?? 0,
        lastHour: counts.reduce((sum, n) => sum + n, 0),
        series: counts,
      },
      deliveries: {
        attempts,
        success,
        retry,
        deadLetter: deadLettered,
        successRate: attempts ? Math.round((success / attempts) * 10_000) / 10_000 : null,
      },
      queue: queueCounts,
      deadLetters: deadLetterCount,
      stream: { length: streamLength, pending: Number(pending[0] ?? 0) },
    });
  });
  return router;
}
