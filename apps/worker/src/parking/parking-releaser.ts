// Takes parked deliveries out of their webhooks' parking as their circuits allow — the probe alone
// once a cool-down is over, then everything, oldest first, once the circuit is closed again — and
// queues them as jobs (the processor runs them like any queued delivery: a slot, admission, the
// attempt). The queue is kept short: a backlog of a day goes out in rounds, not into the queue at once.
import type { Queue } from 'bullmq';
import { DEFAULT_RETRY_POLICY, deliveryJob, type Logger, type ParkingLot, type Webhook } from '@herald/shared';
import { PeriodicTask } from '../periodic-task';
import type { Service } from '../service';
import type { DeliveryPolicies } from '../policies/delivery-policies';
import type { WebhookRegistry } from '../webhooks/webhook-registry';
import type { WebhookDocuments } from '../webhooks/webhook-documents';

/**
 * After a probe is released, how long before another may be: its job reaches admission (and makes
 * the circuit half-open) well within it, and a failed probe's circuit waits out a whole cool-down.
 */
const PROBE_GATE_MS = 1000;

export interface ParkingReleaserOptions {
  /** How often the parking is looked at, in ms. */
  intervalMs: number;
  /** Deliveries taken out of one webhook's parking at a time. */
  batch: number;
  /** Jobs waiting in the queue past which nothing more is released until they are taken. */
  maxWaiting: number;
}

export interface ParkingReleaserDeps {
  parking: ParkingLot;
  queue: Queue;
  webhooks: WebhookRegistry;
  documents: WebhookDocuments;
  policies: DeliveryPolicies;
  logger: Logger;
}

export class ParkingReleaser implements Service {
  readonly name = 'parking-releaser';
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: ParkingReleaserDeps,
    private readonly options: ParkingReleaserOptions,
  ) {
    this.task = new PeriodicTask({ name: this.name, intervalMs: options.intervalMs, logger: deps.logger, round: () => this.releaseAll() });
  }

  start(): Promise<void> {
    return this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One round over the webhooks with parked deliveries; true when it released a full batch somewhere (there is more). */
  async releaseAll(): Promise<boolean> {
    const counts = await this.deps.queue.getJobCounts('waiting', 'prioritized');
    let waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    let more = false;
    for (const webhookId of await this.deps.parking.webhooks()) {
      if (waiting >= this.options.maxWaiting) return false;
      const released = await this.release(webhookId, Math.min(this.options.batch, this.options.maxWaiting - waiting));
      waiting += released;
      more = released >= this.options.batch || more;
    }
    return more;
  }

  /**
   * Releases up to `max` of what one webhook's circuit allows now; returns how many went. The
   * parked deliveries of a webhook deleted or disabled meanwhile go all at once, whatever its
   * circuit says: the processor skips them (as it skips any queued delivery of such a webhook) and
   * lets their payloads go.
   */
  private async release(webhookId: string, max: number): Promise<number> {
    const route = this.deps.webhooks.get(webhookId);
    const webhook: Pick<Webhook, 'id' | 'retry' | 'circuitBreaker' | 'enabled'> | undefined = route
      ? (await this.deps.documents.get([route])).get(webhookId)
      : undefined;
    const taken = await this.deps.parking.take(webhookId, {
      max,
      breakerEnabled: webhook?.enabled ? this.deps.policies.circuit(webhook).enabled : false,
      probeGateMs: PROBE_GATE_MS,
    });
    if (taken.length === 0) return 0;
    const target = webhook ?? { id: webhookId, retry: DEFAULT_RETRY_POLICY };
    // Job ids from the parked entries: a release repeated after a crash makes no second job.
    await this.deps.queue.addBulk(
      taken.map((parked) => deliveryJob({ id: parked.eventId }, target, { attemptsBefore: parked.attemptsBefore, replay: parked.replay, parkedEntry: parked.entryId })),
    );
    await this.deps.parking.release(webhookId, taken.map((parked) => parked.entryId));
    return taken.length;
  }
}
