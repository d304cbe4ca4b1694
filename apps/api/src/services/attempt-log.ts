// Reads the delivery attempt logs the worker writes, and the statistics computed from them.
import { deliveryAttemptSchema, type DeliveryAttempt, type PartitionLayout, type RedisKeys, type RedisClient } from '@herald/shared';
import type { WebhookStats } from '../schemas/responses';

export interface AttemptFilter {
  /** `failure` means retry or dead_letter. */
  outcome?: 'success' | 'failure' | 'retry' | 'dead_letter';
  eventType?: string;
  /** Only attempts at or after this time (unix ms). */
  sinceMs?: number;
}

const PAGE = 1000;

function matches(attempt: DeliveryAttempt, filter: AttemptFilter): boolean {
  if (filter.outcome === 'failure' ? attempt.outcome === 'success' || attempt.outcome === 'skipped' : filter.outcome && attempt.outcome !== filter.outcome) {
    return false;
  }
  if (filter.eventType && attempt.eventType !== filter.eventType) return false;
  if (filter.sinceMs !== undefined && Date.parse(attempt.timestamp) < filter.sinceMs) return false;
  return true;
}

export class AttemptLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly layout: PartitionLayout,
  ) {}

  /** The keys of the webhook's partition. */
  private keysOf(webhookId: string): RedisKeys {
    return this.layout.keys(this.layout.ofWebhook(webhookId));
  }

  /** A webhook's attempts, newest first, filtered; `offset` counts log entries (pass back `nextOffset`). */
  async list(webhookId: string, filter: AttemptFilter, limit: number, offset = 0): Promise<{ data: DeliveryAttempt[]; nextOffset: number | null }> {
    const data: DeliveryAttempt[] = [];
    let position = offset;
    for (;;) {
      const page = await this.redis.lrange(this.keysOf(webhookId).attempts(webhookId), position, position + PAGE - 1);
      for (const [index, json] of page.entries()) {
        const attempt = deliveryAttemptSchema.parse(JSON.parse(json));
        // The log is newest first: past `since`, nothing further can match.
        if (filter.sinceMs !== undefined && Date.parse(attempt.timestamp) < filter.sinceMs) return { data, nextOffset: null };
        if (!matches(attempt, filter)) continue;
        data.push(attempt);
        if (data.length >= limit) {
          const next = position + index + 1;
          return { data, nextOffset: page.length > index + 1 || (await this.redis.llen(this.keysOf(webhookId).attempts(webhookId))) > next ? next : null };
        }
      }
      if (page.length < PAGE) return { data, nextOffset: null };
      position += PAGE;
    }
  }

  async stats(webhookId: string): Promise<WebhookStats> {
    const [jsons, lifetime] = await Promise.all([
      this.redis.lrange(this.keysOf(webhookId).attempts(webhookId), 0, -1),
      this.redis.hgetall(this.keysOf(webhookId).webhookStats(webhookId)),
    ]);
    const attempts = jsons.map((json) => deliveryAttemptSchema.parse(JSON.parse(json))).filter((a) => a.outcome !== 'skipped');
    const succeeded = attempts.filter((a) => a.outcome === 'success');
    const failed = attempts.filter((a) => a.outcome !== 'success');
    const deadLettered = failed.filter((a) => a.outcome === 'dead_letter').length;
    const durations = attempts.map((a) => a.durationMs).sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return {
      total: attempts.length,
      succeeded: succeeded.length,
      failed: failed.length,
      successRate: attempts.length ? round(succeeded.length / attempts.length) : null,
      // Deliveries settle once each: delivered (a success) or dead-lettered.
      deliveryRate: succeeded.length + deadLettered ? round(succeeded.length / (succeeded.length + deadLettered)) : null,
      averageDurationMs: durations.length ? round(durations.reduce((sum, d) => sum + d, 0) / durations.length) : null,
      p95DurationMs: durations.length ? round(durations[Math.min(durations.length - 1, Math.ceil(durations.length * 0.95) - 1)] as number) : null,
      lastSuccessAt: succeeded[0]?.timestamp ?? null,
      lastFailureAt: failed[0]?.timestamp ?? null,
      lifetime: {
        total: Number(lifetime.total ?? 0),
        success: Number(lifetime.success ?? 0),
        retry: Number(lifetime.retry ?? 0),
        dead_letter: Number(lifetime.dead_letter ?? 0),
      },
    };
  }

  /** An event's attempts over all its webhooks (in every partition), newest first. */
  async forEvent(eventId: string): Promise<DeliveryAttempt[]> {
    const lists = await Promise.all(this.layout.all().map((n) => this.redis.lrange(this.layout.keys(n).eventAttempts(eventId), 0, -1)));
    const attempts = lists.flat().map((json) => deliveryAttemptSchema.parse(JSON.parse(json)));
    return lists.length > 1 ? attempts.sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp)) : attempts;
  }
}
