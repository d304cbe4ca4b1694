// What follows attempts beyond their own delivery: Herald's operational events (circuit changes,
// dead letters) and disabling a webhook that answered 410 Gone or kept failing too long.
import { isOperationalEventType, type CircuitChanges, type Logger, type StoredEvent, type WebhookStore } from '@herald/shared';
import type { OperationalEvents } from '../policies/operational-events';
import type { Decision } from '../attempt/decide';

type WebhookRef = { id: string; tenant: string };

export class AttemptEffects {
  constructor(
    private readonly deps: { events: OperationalEvents; webhookStore: WebhookStore; logger: Logger; backlogEventWindowMs: number; authEventWindowMs: number },
  ) {}

  /** A delivery was dead-lettered because the webhook had as many parked as it may: said once per window. Never throws. */
  async backlogFull(webhook: WebhookRef, maxBacklog: number): Promise<void> {
    this.deps.logger.warn({ webhookId: webhook.id, maxBacklog }, 'parking full: new deliveries are dead-lettered');
    await this.deps.events.emit('webhook.backlog_full', webhook, { maxBacklog }, this.deps.backlogEventWindowMs);
  }

  /** After a batch of attempts changed a webhook's circuit. Never throws. */
  async circuitChanged(webhook: WebhookRef, changes: CircuitChanges, failureReason: string | undefined): Promise<void> {
    for (const transition of changes.transitions) {
      if (transition === 'opened') await this.deps.events.emit('circuit_breaker.opened', webhook, { reason: failureReason });
      else await this.deps.events.emit('circuit_breaker.closed', webhook, {});
    }
    if (changes.disable) await this.disable(webhook, 'the endpoint kept failing for longer than allowed');
  }

  /** Whether `attempted` has anything to do after this decision (most successes: nothing). */
  static follow(decision: Decision): boolean {
    return decision.disableWebhook || decision.outcome === 'dead_letter' || decision.authRejected === true;
  }

  /** After one attempt's delivery was settled. Never throws. */
  async attempted(webhook: WebhookRef, delivery: { deliveryId: string; event: StoredEvent }, decision: Decision): Promise<void> {
    if (decision.disableWebhook) await this.disable(webhook, 'the endpoint answered 410 Gone');
    if (decision.authRejected) {
      await this.deps.events.emit('webhook.auth_failed', webhook, { deliveryId: delivery.deliveryId, reason: decision.reason }, this.deps.authEventWindowMs);
    }
    // No event about a failed operational event: two failing webhooks would feed each other forever.
    if (decision.outcome === 'dead_letter' && !isOperationalEventType(delivery.event.type)) {
      this.deps.logger.warn({ deliveryId: delivery.deliveryId, webhookId: webhook.id, reason: decision.reason }, 'delivery dead-lettered');
      await this.deps.events.emit('delivery.dead_lettered', webhook, {
        deliveryId: delivery.deliveryId, eventId: delivery.event.id, eventType: delivery.event.type, lastError: decision.reason,
      });
    }
  }

  private async disable(webhook: WebhookRef, reason: string): Promise<void> {
    try {
      // Only the worker that actually turned it off says so: concurrent 410s publish one event.
      if (!(await this.deps.webhookStore.disable(webhook.id))) return;
      this.deps.logger.warn({ webhookId: webhook.id, reason }, 'webhook disabled');
      await this.deps.events.emit('webhook.disabled', webhook, { reason });
    } catch (error) {
      this.deps.logger.error({ err: error, webhookId: webhook.id }, 'could not disable a webhook');
    }
  }
}
