// Herald's own events (circuit_breaker.*, rate_limit.exceeded, webhook.disabled,
// delivery.dead_lettered): appended to the events stream like any producer's, so webhooks can
// subscribe to them. Fan-out never sends an event about a webhook to that same webhook.
import { STREAM_FIELDS, newEventId, type Logger, type OperationalEventType, type RedisKeys, type RedisClient } from '@herald/shared';

/** How long a worker that found another's gate closed leaves it be, at most, in ms. */
const CLOSED_GATE_RECHECK_MS = 1000;

export class OperationalEvents {
  /** Per webhook and type, until when the gate is known to be closed: no call to Redis till then. */
  private readonly closedUntil = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
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
      const now = Date.now();
      if (onceEveryMs !== undefined && !(await this.openGate(webhook.id, type, onceEveryMs, now))) return;
      const event = { type, tenant: webhook.tenant, data: { webhookId: webhook.id, ...data } };
      await this.redis.xadd(
        // Not trimmed here: the workers trim only what they have read (EventsStream.trim).
        this.keys.eventsStream, '*',
        STREAM_FIELDS.event, JSON.stringify(event), STREAM_FIELDS.eventId, newEventId(now), STREAM_FIELDS.receivedAt, String(now),
      );
      this.logger.info({ type, webhookId: webhook.id, ...data }, 'operational event');
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, type, webhookId: webhook.id }, 'could not publish an operational event');
    }
  }

  /**
   * Whether this call is the first in its window across all workers (it then closes the gate).
   * A gate known closed is not asked again: during a rate-limit storm every refused delivery
   * would otherwise cost a Redis call.
   */
  private async openGate(webhookId: string, type: OperationalEventType, windowMs: number, now: number): Promise<boolean> {
    const gate = `${webhookId}:${type}`;
    if ((this.closedUntil.get(gate) ?? 0) > now) return false;
    const first = (await this.redis.set(this.keys.operationalGate(webhookId, type), '1', 'PX', windowMs, 'NX')) === 'OK';
    // Another worker's gate may have opened any time before its window ends: looked at again soon.
    this.closedUntil.set(gate, now + (first ? windowMs : Math.min(windowMs, CLOSED_GATE_RECHECK_MS)));
    return first;
  }
}
