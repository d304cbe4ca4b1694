// POST /v1/webhooks/:id/test: one `herald.test` event to one webhook, and the attempt's result.
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryJob, newEventId, type DeliveryAttempt, type StoredEvent, type Webhook } from '@herald/shared';
import type { AttemptLog } from './attempt-log';
import type { DeliveryQueues } from './delivery-queues';

export const TEST_EVENT_TYPE = 'herald.test';

export class TestDelivery {
  constructor(
    private readonly queues: DeliveryQueues,
    private readonly attempts: AttemptLog,
  ) {}

  /**
   * Queues a single attempt (no retries) straight for this webhook, bypassing fan-out, then waits
   * for its result up to the webhook's timeout plus `graceMs`. Returns null if none came in time.
   */
  async send(webhook: Webhook, graceMs = 5000): Promise<{ event: StoredEvent; attempt: DeliveryAttempt | null }> {
    const now = Date.now();
    const event: StoredEvent = {
      id: newEventId(now),
      type: TEST_EVENT_TYPE,
      tenant: webhook.tenant,
      data: { webhookId: webhook.id, message: 'A test delivery from Herald' },
      occurredAt: new Date(now).toISOString(),
      receivedAt: now,
    };
    // The job carries the event itself: a test event is in no stream, and no payload is stored for it.
    const job = deliveryJob(event, { id: webhook.id, retry: { ...webhook.retry, maxRetries: 0 } }, { inline: true });
    await this.queues.of(webhook.id).add(job.name, job.data, job.opts);
    const deadline = Date.now() + webhook.timeoutMs + graceMs;
    while (Date.now() < deadline) {
      const [attempt] = await this.attempts.forEvent(event.id);
      if (attempt) return { event, attempt };
      await sleep(50);
    }
    return { event, attempt: null };
  }
}
