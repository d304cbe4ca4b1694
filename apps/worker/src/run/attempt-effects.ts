// What follows attempts beyond their own delivery: Herald's operational events (circuit changes,
// dead letters) and disabling a webhook that answered 410 Gone or kept failing too long.
import { clientCertExpiresAtMs, isOperationalEventType, type CircuitChanges, type Logger, type StoredEvent, type Webhook, type WebhookStore } from '@herald/shared';
import type { OperationalEvents } from '../policies/operational-events';
import type { Decision } from '../attempt/decide';

type WebhookRef = { id: string; tenant: string };

/** webhook.certificate_expiring is published from this long before a client certificate expires… */
export const CERTIFICATE_WARNING_MS = 14 * 86_400_000;
/** …at most once a day per webhook. */
const CERTIFICATE_EVENT_WINDOW_MS = 86_400_000;

export class AttemptEffects {
  /** When each client certificate expires, read once per webhook version (its `tls` object). */
  private readonly certificateExpiry = new WeakMap<object, number | undefined>();

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

  /**
   * After a delivery with a client certificate: within 14 days of its expiry (or past it),
   * webhook.certificate_expiring is published, once a day across the workers. Never throws.
   */
  async certificateUsed(webhook: Pick<Webhook, 'id' | 'tenant' | 'tls'>, nowMs: number = Date.now()): Promise<void> {
    const { tls } = webhook;
    if (!tls) return;
    if (!this.certificateExpiry.has(tls)) this.certificateExpiry.set(tls, clientCertExpiresAtMs(tls.clientCert));
    const expiresAtMs = this.certificateExpiry.get(tls);
    if (expiresAtMs === undefined || nowMs < expiresAtMs - CERTIFICATE_WARNING_MS) return;
    const expiresAt = new Date(expiresAtMs).toISOString();
    const daysLeft = Math.max(0, Math.floor((expiresAtMs - nowMs) / 86_400_000));
    await this.deps.events.emit('webhook.certificate_expiring', webhook, { expiresAt, daysLeft }, CERTIFICATE_EVENT_WINDOW_MS);
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
