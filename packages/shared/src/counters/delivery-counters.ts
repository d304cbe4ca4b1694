// Delivery and event counters, as the settle script writes them (global totals, Herald's own events
// apart, per minute), read back for GET /v1/stats: the one place outside the script that knows
// their keys and fields.
import type { RedisKeys } from '../keys';
import type { PartitionLayout } from '../partitions/partition-layout';
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

function eventRates(counts: number[]): EventRates {
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

interface RawCounts {
  perMinute: number[];
  operationalPerMinute: number[];
  totals: Record<string, string>;
  operationalTotals: Record<string, string>;
  series: number[][];
}

/** Counters over every partition: each partition's settle script counts what it settled. */
export class DeliveryCounters {
  constructor(
    private readonly redis: RedisClient,
    private readonly layout: PartitionLayout,
  ) {}

  async lastHour(nowMs: number = Date.now()): Promise<DeliveryCounts> {
    const minute = Math.floor(nowMs / 60_000);
    const minutes = Array.from({ length: 60 }, (_, i) => minute - 59 + i);
    const parts = await Promise.all(this.layout.all().map((n) => this.read(this.layout.keys(n), minutes)));
    const sumLists = (lists: number[][]) => minutes.map((_, i) => lists.reduce((total, list) => total + (list[i] ?? 0), 0));
    const sumHashes = (hashes: Record<string, string>[]) => {
      const total: Record<string, string> = {};
      for (const hash of hashes) for (const [field, value] of Object.entries(hash)) total[field] = String(Number(total[field] ?? 0) + Number(value));
      return total;
    };
    const series = minutes.map((_, i) => [0, 1, 2].map((field) => parts.reduce((total, part) => total + (part.series[i]?.[field] ?? 0), 0)));
    return {
      events: eventRates(sumLists(parts.map((part) => part.perMinute))),
      deliveries: {
        ...deliveryTotals(sumHashes(parts.map((part) => part.totals))),
        series: series.map(([success, retry, deadLetter]) => ({ success: success ?? 0, retry: retry ?? 0, deadLetter: deadLetter ?? 0 })),
      },
      operational: {
        events: eventRates(sumLists(parts.map((part) => part.operationalPerMinute))),
        deliveries: deliveryTotals(sumHashes(parts.map((part) => part.operationalTotals))),
      },
    };
  }

  /** One partition's counters (its keys share a slot: one MGET, one pipeline). */
  private async read(keys: RedisKeys, minutes: readonly number[]): Promise<RawCounts> {
    const series = this.redis.pipeline();
    for (const m of minutes) series.hmget(keys.deliveriesInMinute(m), 'success', 'retry', 'dead_letter');
    const [perMinute, operationalPerMinute, totals, operationalTotals, deliveries] = await Promise.all([
      this.redis.mget(...minutes.map((m) => keys.eventsInMinute(m))),
      this.redis.mget(...minutes.map((m) => keys.operationalEventsInMinute(m))),
      this.redis.hgetall(keys.globalStats),
      this.redis.hgetall(keys.operationalStats),
      execOrThrow(series) as Promise<(string | null)[][]>,
    ]);
    const numbers = (values: (string | null)[]) => values.map((value) => Number(value ?? 0));
    return { perMinute: numbers(perMinute), operationalPerMinute: numbers(operationalPerMinute), totals, operationalTotals, series: deliveries.map(numbers) };
  }
}
