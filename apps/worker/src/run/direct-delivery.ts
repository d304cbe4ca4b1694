// Delivers straight from the stream: a delivery the fan-out admitted is attempted at once in this
// worker, and only what must wait becomes a job — its retry after a failed attempt, or the
// delivery itself when its webhook cannot take it now (deferred, no attempt spent) — or, while its
// webhook's circuit is open, waits parked (no job: parking/).
import { deliveryIdFor, deliveryJob, maxAttempts, type StoredEvent, type Webhook } from '@herald/shared';
import type { WorkerMetrics } from '../metrics';
import type { DeliveryPolicies } from '../policies/delivery-policies';
import type { DeliverySlots, SlotLease } from '../policies/delivery-slots';
import { attemptInSlot, type AttemptOutbound, type DeliveryTarget } from '../attempt/attempt';
import { afterSettled, parkedSettlement, settlementFor } from './settlement';
import type { AttemptEffects } from './attempt-effects';
import { DeliveryHeldError } from '../attempt/delivery-held-error';
import type { EntryRef, Settler } from '../settle/settler';

/**
 * Why a delivery did not go at once: its webhook's slots were taken (`cap`), the worker's were
 * (`busy`), its circuit is open, no rate-limit token was free, or its entry was claimed from a
 * worker that died (`claim`: the queue makes its job once, whatever that worker had done).
 */
export type DeferReason = 'cap' | 'busy' | 'circuit' | 'rate' | 'claim' | 'egress';

/** One event × webhook from a stream entry, as the fan-out planned it. */
export interface PlannedDelivery {
  webhook: Webhook;
  event: StoredEvent;
  entry: EntryRef;
  /** Set when the fan-out already knows it must wait: queued with this delay, no attempt. */
  deferral?: { reason: DeferReason; delayMs: number };
  /** A rate-limit token was taken for it: if it is queued after all, its job does not take another. */
  tokenTaken?: boolean;
}

export interface DirectDeliveryDeps extends AttemptOutbound {
  slots: DeliverySlots;
  settler: Settler;
  policies: DeliveryPolicies;
  effects: AttemptEffects;
  metrics: WorkerMetrics;
}

export class DirectDelivery {
  constructor(private readonly deps: DirectDeliveryDeps) {}

  /**
   * Runs one planned delivery to its settlement. The slot is asked for before this returns, so the
   * worker counts the delivery as held at once (the fan-out reads no more than it can hold).
   */
  deliver(planned: PlannedDelivery): Promise<void> {
    if (planned.deferral) return this.defer(planned, planned.deferral);
    const lease = this.deps.slots.take(planned.webhook);
    if (lease) return this.attempt(planned, lease);
    return this.deps.slots.acquire(planned.webhook).then((grant) =>
      grant.kind === 'lease' ? this.attempt(planned, grant.lease) : this.defer(planned, { reason: grant.reason, delayMs: grant.delayMs }),
    );
  }

  private async attempt(planned: PlannedDelivery, lease: SlotLease): Promise<void> {
    const { webhook, event, entry } = planned;
    const deliveryId = deliveryIdFor(event.id, webhook.id);
    const target: DeliveryTarget = { webhook, event, deliveryId, runId: deliveryId, attempt: 1, maxAttempts: maxAttempts(webhook.retry), replay: 0 };
    let attempted: Awaited<ReturnType<typeof attemptInSlot>>;
    try {
      attempted = await attemptInSlot(this.deps, lease, target, webhook.retry);
    } catch (error) {
      // The egress proxy failed: the delivery waits in the queue, its attempt not spent.
      if (error instanceof DeliveryHeldError) return this.defer(planned, { reason: 'egress', delayMs: error.delayMs });
      throw error;
    }
    const { run, decision } = attempted;
    const settlement = settlementFor(target, run, decision, { settings: this.deps.policies.circuit(webhook), token: deliveryId });
    if (decision.outcome === 'retry') settlement.queued = { job: deliveryJob(event, webhook, { attemptsBefore: 1, delayMs: decision.delayMs }), event };
    await this.deps.settler.settle({ ...settlement, entry, deliveryId });
    await afterSettled(this.deps, target, run, decision);
  }

  /** A delivery that cannot go now: parked while its circuit is open, otherwise a job (no attempt spent either way). */
  private async defer(planned: PlannedDelivery, deferral: { reason: DeferReason; delayMs: number }): Promise<void> {
    const { webhook, event, entry } = planned;
    this.deps.metrics.deferred.inc({ reason: deferral.reason });
    const deliveryId = deliveryIdFor(event.id, webhook.id);
    if (deferral.reason === 'circuit') {
      const target = { deliveryId, event, replay: 0 };
      await this.deps.settler.settle({ webhookId: webhook.id, tenant: event.tenant, park: parkedSettlement(this.deps.policies, webhook, target, 0), entry, deliveryId });
      return;
    }
    const job = deliveryJob(event, webhook, { delayMs: deferral.delayMs, ...(planned.tokenTaken ? { rateAdmitted: true } : {}) });
    await this.deps.settler.settle({ webhookId: webhook.id, tenant: event.tenant, queued: { job, event }, entry, deliveryId });
  }
}
