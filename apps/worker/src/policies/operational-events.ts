// Herald's own events (circuit_breaker.*, rate_limit.exceeded, webhook.disabled,
// delivery.dead_lettered): appended to the events stream like any producer's, so webhooks can
// subscribe to them. Fan-out never sends an event about a webhook to that same webhook.
import { STREAM_FIELDS, newEventId, type Logger, type OperationalEventType, type RedisKeys, type RedisClient } from '@herald/shared';

export class OperationalEvents {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly streamMaxLen: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes `type` about `webhook`. With `onceEveryMs`, at most once per webhook in that window
   * (across all workers). Never throws: an operational event must not fail a delivery.
   */
  async emit(
    type: OperationalEventType,
    webhook: { id: string; tenant: string },
    data: Record<string, unknown>,
    onceEveryMs?: number,
  ): Promise<void> {
    try {
      if (onceEveryMs !== undefined) {
        const first = await this.redis.set(this.keys.operationalGate(webhook.id, type), '1', 'PX', onceEveryMs, 'NX');
        if (first !== 'OK') return;
      }
      const now = Date.now();
      const event = { type, tenant: webhook.tenant, data: { webhookId: webhook.id, ...data } };
      await this.redis.xadd(
        this.keys.eventsStream, 'MAXLEN', '~', this.streamMaxLen, '*',
        STREAM_FIELDS.event, JSON.stringify(event), STREAM_FIELDS.eventId, newEventId(now), STREAM_FIELDS.receivedAt, String(now),
      );
      this.logger.info({ type, webhookId: webhook.id, ...data }, 'operational event');
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, type, webhookId: webhook.id }, 'could not publish an operational event');
    }
  }
}
