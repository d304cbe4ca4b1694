// Delivery and event counters, as the settle script writes them (global totals, Herald's own events
// apart, per minute), read back for GET /v1/stats: the one place outside the script that knows
// their keys and fields.
import type { RedisKeys } from '../keys';
import type { RedisClient } from '../redis-client';
import { execOrThrow } from '../redis';

export interface EventRates {
  /** Events in the last full minute (the current one is still filling). */
  perMinute: number;
  currentMinute: number;
  lastHour: number;
  /** Per minute, oldest first, the current minute last. */
  series: number[];
}

export interface DeliveryTotals {
  attempts: number;
  success: number;
  retry: number;
  deadLetter: number;
  /** Of the attempts, the share that succeeded. */
  successRate: number | null;
  /** Of the deliveries settled (delivered or dead-lettered), the share delivered. */
  deliveryRate: number | null;
}

export interface DeliveryCounts {
  events: EventRates;
  deliveries: DeliveryTotals & { series: { success: number; retry: number; deadLetter: number }[] };
  operational: { events: EventRates; deliveries: DeliveryTotals };
}

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);

function eventRates(perMinute: (string | null)[]): EventRates {
  const counts = perMinute.map((value) => Number(value ?? 0));
  return { perMinute: counts.at(-2) ?? 0, currentMinute: counts.at(-1) ?? 0, lastHour: counts.reduce((sum, n) => sum + n, 0), series: counts };
}

/**
 * Attempts by outcome, with two rates: a delivery that succeeds at its fourth attempt is one of
 * four attempts, and one delivery of one.
 */
function deliveryTotals(totals: Record<string, string>): DeliveryTotals {
  const success = Number(totals.success ?? 0);
  const retry = Number(totals.retry ?? 0);
  const deadLetter = Number(totals.dead_letter ?? 0);
  const attempts = success + retry + deadLetter;
  return { attempts, success, retry, deadLetter, successRate: rate(success, attempts), deliveryRate: rate(success, success + deadLetter) };
}

export class DeliveryCounters {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Events and deliveries over the last hour, per minute, and in all: producers' and Herald's own
   * operational events apart (an alarm about a broken endpoint must not move the figures of the
   * business it reports on).
   */
  async lastHour(nowMs: number = Date.now()): Promise<DeliveryCounts> {
    const minute = Math.floor(nowMs / 60_000);
    const minutes = Array.from({ length: 60 }, (_, i) => minute - 59 + i);
    const series = this.redis.pipeline();
    for (const m of minutes) series.hmget(this.keys.deliveriesInMinute(m), 'success', 'retry', 'dead_letter');
    const [perMinute, operationalPerMinute, totals, operationalTotals, deliveries] = await Promise.all([
      this.redis.mget(...minutes.map((m) => this.keys.eventsInMinute(m))),
      this.redis.mget(...minutes.map((m) => this.keys.operationalEventsInMinute(m))),
      this.redis.hgetall(this.keys.globalStats),
      this.redis.hgetall(this.keys.operationalStats),
      execOrThrow(series) as Promise<(string | null)[][]>,
    ]);
    return {
      events: eventRates(perMinute),
      deliveries: {
        ...deliveryTotals(totals),
        series: deliveries.map(([success, retry, deadLetter]) => ({ success: Number(success ?? 0), retry: Number(retry ?? 0), deadLetter: Number(deadLetter ?? 0) })),
      },
      operational: { events: eventRates(operationalPerMinute), deliveries: deliveryTotals(operationalTotals) },
    };
  }
}
