// The BullMQ processor: one attempt at a delivery that had to wait (a retry, a deferred first
// attempt, a delivery released from parking, a replay, a test send). It orchestrates the same
// steps as a delivery straight from the stream — a slot, admission, the attempt, the decision, the
// settlement — and lets BullMQ carry the retries with the delay the decision chose. A delivery whose
// circuit is open is parked, and its job ends.
import { DelayedError, type Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  deliveryJobDataSchema,
  jobEventId,
  retryDelayMs,
  retryPolicySchema,
  type DeliveryJobData,
  type ParkingLot,
  type PayloadStore,
  type Webhook,
} from '@herald/shared';
import type { WebhookRegistry } from '../webhooks/webhook-registry';
import type { WebhookDocuments } from '../webhooks/webhook-documents';
import type { WorkerMetrics } from '../metrics';
import type { DeliveryPolicies } from '../policies/delivery-policies';
import type { DeliverySlots } from '../policies/delivery-slots';
import type { OperationalEvents } from '../policies/operational-events';
import { attemptInSlot, type AttemptOutbound, type DeliveryTarget } from '../attempt/attempt';
import { afterSettled, fifoDone, fifoExhaustedError, parkedSettlement, settlementFor } from './settlement';
import type { AttemptEffects } from './attempt-effects';
import { DeadLetteredError, DeliveryParkedError, RetryableDeliveryError, UnreadableJobError } from './errors';
import { DeliveryHeldError } from '../attempt/delivery-held-error';
import type { Settler } from '../settle/settler';

export type DeliveryOutcome =
  | { outcome: 'success'; statusCode: number; attempt: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'parked' | 'backlog_full' };

export interface ProcessorDeps extends AttemptOutbound {
  webhooks: WebhookRegistry;
  documents: WebhookDocuments;
  slots: DeliverySlots;
  settler: Settler;
  policies: DeliveryPolicies;
  payloads: PayloadStore;
  parking: ParkingLot;
  effects: AttemptEffects;
  events: OperationalEvents;
  metrics: WorkerMetrics;
  /** How stale the webhooks' routes may be, in ms. */
  webhookCacheMs: number;
  /** rate_limit.exceeded goes out at most once per webhook in this window. */
  rateLimitEventWindowMs: number;
}

/**
 * BullMQ's backoff hook. A failed attempt carries the delay the decision chose (and logged);
 * anything else that went wrong falls back to the job's retry policy.
 */
export function deliveryBackoff(attemptsMade: number, _type?: string, error?: Error, job?: { data: unknown }): number {
  if (error instanceof RetryableDeliveryError) return error.delayMs;
  const data = job?.data as { retry?: unknown; attemptsBefore?: number } | undefined;
  return retryDelayMs(retryPolicySchema.parse(data?.retry ?? {}), (data?.attemptsBefore ?? 0) + attemptsMade);
}

/** The job's data, or UnreadableJobError (BullMQ fails it at once; the worker dead-letters what it can). */
function readJob(job: Job): DeliveryJobData {
  const parsed = deliveryJobDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnreadableJobError(`unreadable delivery job: ${parsed.error.message}`);
  return parsed.data;
}

export class DeliveryProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  readonly process = async (job: Job, token?: string): Promise<DeliveryOutcome> => {
    const data = readJob(job);
    const webhook = await this.currentWebhook(data.webhookId);
    if (!webhook?.enabled) return this.skip(data, webhook ? 'webhook disabled' : 'webhook deleted');
    // A job names its event, whose payload holds a reference for it; a test send (or a job of an
    // older Herald) carries its event itself, and holds none.
    const inline = data.event !== undefined;
    const event = data.event ?? (await this.deps.payloads.get(jobEventId(data)));
    // Only a purge of its dead letter, while its replay waited, takes a waiting delivery's payload.
    if (!event) return this.skip(data, 'its dead letter was purged');

    const grant = await this.deps.slots.acquire(webhook);
    if (grant.kind === 'defer') {
      this.deps.metrics.deferred.inc({ reason: grant.reason });
      return this.holdBack(job, token, grant.delayMs);
    }
    const target: DeliveryTarget = {
      webhook,
      event,
      deliveryId: data.deliveryId,
      runId: String(job.id),
      attempt: data.attemptsBefore + job.attemptsMade + 1,
      maxAttempts: data.attemptsBefore + (job.opts.attempts ?? 1),
      replay: data.replay,
    };
    // A token taken for it before it was queued counts for its first attempt.
    const admit = () => this.admit(target, job, token, { rate: !(data.rateAdmitted && job.attemptsMade === 0), inline, fifo: data.fifo !== undefined });
    let attempted: Awaited<ReturnType<typeof attemptInSlot>>;
    try {
      attempted = await attemptInSlot(this.deps, grant.lease, target, data.retry, admit);
    } catch (error) {
      if (error instanceof DeliveryParkedError) return { outcome: error.parked ? 'parked' : 'backlog_full' };
      if (error instanceof DeliveryHeldError) {
        this.deps.metrics.deferred.inc({ reason: 'egress' });
        return this.holdBack(job, token, error.delayMs);
      }
      throw error;
    }
    const { run, decision } = attempted;
    const settlement = settlementFor(target, run, decision, { settings: this.deps.policies.circuit(webhook), token: String(job.id) });
    // Its dead letter takes over the job's reference to the payload (DeliveryWorker gives it back
    // when the job ends otherwise).
    settlement.payloadHeld = !inline;
    // A FIFO head done moves its line on; one that spent its attempts under `block` holds it.
    if (data.fifo && decision.outcome !== 'retry') {
      const block = decision.outcome === 'dead_letter' && (webhook.ordering?.onExhausted ?? (data.fifo.block ? 'block' : 'skip')) === 'block';
      if (settlement.deadLetter) settlement.deadLetter.lastError = fifoExhaustedError(block, settlement.deadLetter.lastError);
      settlement.fifo = fifoDone(data.webhookId, data.fifo, block ? settlement.deadLetter?.lastError ?? decision.reason : undefined);
    }
    await this.deps.settler.settle(settlement);
    await afterSettled(this.deps, target, run, decision);

    if (decision.outcome === 'success' && run.result.kind === 'response') {
      return { outcome: 'success', statusCode: run.result.statusCode, attempt: target.attempt };
    }
    const message = `${decision.reason} (attempt ${target.attempt} of ${target.maxAttempts})`;
    if (decision.outcome === 'retry') throw new RetryableDeliveryError(message, decision.delayMs);
    throw new DeadLetteredError(message);
  };

  /** A delivery that will not go: its job ends; a FIFO head's line moves on. */
  private async skip(data: DeliveryJobData, reason: string): Promise<DeliveryOutcome> {
    if (data.fifo) await this.deps.settler.settle({ webhookId: data.webhookId, tenant: '', fifo: fifoDone(data.webhookId, data.fifo) });
    return { outcome: 'skipped', reason };
  }

  /**
   * The webhook as it is now. The routes may be a little stale; before skipping a delivery because
   * its webhook looks deleted or disabled, they are brought up to date, so that a webhook created or
   * enabled a moment ago (seen fresh by the fan-out of another worker) is not missed.
   */
  private async currentWebhook(id: string): Promise<Webhook | undefined> {
    await this.deps.webhooks.refresh(this.deps.webhookCacheMs);
    let route = this.deps.webhooks.get(id);
    if (!route?.enabled) {
      await this.deps.webhooks.refresh(0);
      route = this.deps.webhooks.get(id);
    }
    return route ? (await this.deps.documents.get([route])).get(id) : undefined;
  }

  /**
   * Lets the delivery go out only when the webhook's circuit and rate limit allow. A token reserved
   * a moment ahead is waited for here. While the circuit is open the delivery is parked (its job
   * ends); any other wait puts the job back in the queue, delayed and spread out. No attempt is
   * spent either way.
   */
  private async admit(target: DeliveryTarget, job: Job, token: string | undefined, options: { rate: boolean; inline: boolean; fifo: boolean }): Promise<void> {
    const { webhook } = target;
    if (!this.deps.policies.applies(webhook, options)) return;
    const admission = await this.deps.policies.admit(webhook, String(job.id), options);
    if (admission.verdict === 'ok') {
      if (admission.becameHalfOpen) await this.deps.events.emit('circuit_breaker.half_open', webhook, {});
      if (admission.waitMs > 0) await sleep(admission.waitMs);
      return;
    }
    this.deps.metrics.deferred.inc({ reason: admission.verdict });
    // A FIFO head waits in the queue, its line behind it: the line is parked as a whole.
    if (admission.verdict === 'circuit' && !options.fifo) return this.park(target, target.attempt - 1, options.inline);
    if (admission.verdict === 'rate') {
      await this.deps.events.emit('rate_limit.exceeded', webhook, { ...webhook.rateLimit }, this.deps.rateLimitEventWindowMs);
    }
    // Spread the returns: deliveries held back together must not all come back at the same instant.
    const spread = Math.random() * Math.min(10_000, Math.max(1000, admission.waitMs));
    await this.holdBack(job, token, admission.waitMs + Math.floor(spread));
  }

  /**
   * Parks the delivery, `attemptsBefore` attempts of its run made; past the webhook's backlog it is
   * dead-lettered instead. Either way its job ends (DeliveryParkedError).
   */
  private async park(target: DeliveryTarget, attemptsBefore: number, inline: boolean): Promise<never> {
    const { webhook, event } = target;
    // The job's reference to the payload passes to the parking (or the dead letter); a job that
    // carried its event itself had none, and the parking takes one.
    const parked = parkedSettlement(this.deps.policies, webhook, target, attemptsBefore);
    const done = await this.deps.parking.park({ webhookId: webhook.id, event, attemptsBefore, replay: target.replay, maxBacklog: parked.maxBacklog, inline });
    if (!done) {
      await this.deps.settler.settle({ webhookId: webhook.id, tenant: event.tenant, deadLetter: parked.backlogFull, payloadHeld: !inline });
      await this.deps.effects.backlogFull(webhook, parked.maxBacklog);
    }
    throw new DeliveryParkedError(done);
  }

  /** Puts the job back in the queue for `delayMs`, its attempt not spent. */
  private async holdBack(job: Job, token: string | undefined, delayMs: number): Promise<never> {
    if (!token) throw new RetryableDeliveryError('held back without a job token', delayMs);
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }
}
