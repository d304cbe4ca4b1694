// The BullMQ processor: one attempt at one delivery, recorded, then success, retry or dead letter.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  deliveryJobDataSchema,
  isOperationalEventType,
  retryDelayMs,
  retryPolicySchema,
  type DeadLetter,
  type DeliveryAttempt,
  type DeliveryJobData,
  type Logger,
  type RetryPolicy,
  type Webhook,
  type WebhookStore,
} from '@herald/shared';
import type { WebhookCache } from '../webhook-cache';
import type { WorkerMetrics } from '../metrics';
import { classify } from './classify';
import { DeadLetteredError, RetryableDeliveryError } from './errors';
import { RENDER_FAILED, type HttpClient, type HttpResult } from './http-client';
import { buildRequest } from './request-builder';
import type { AttemptRecorder } from './attempt-recorder';
import type { CircuitChange, DeliveryPolicies } from '../policies/delivery-policies';
import type { OperationalEvents } from '../policies/operational-events';


export type DeliveryOutcome =
  | { outcome: 'success'; statusCode: number; attempt: number }
  | { outcome: 'skipped'; reason: string };

export interface ProcessorDeps {
  webhooks: WebhookCache;
  webhookStore: WebhookStore;
  http: HttpClient;
  recorder: AttemptRecorder;
  metrics: WorkerMetrics;
  logger: Logger;
  webhookCacheMs: number;
  policies: DeliveryPolicies;
  events: OperationalEvents;
  /** rate_limit.exceeded goes out at most once per webhook in this window. */
  rateLimitEventWindowMs: number;
}

/**
 * BullMQ's backoff hook. A failed attempt carries the delay the processor chose (and logged);
 * anything else that went wrong falls back to the job's retry policy.
 */
export function deliveryBackoff(attemptsMade: number, _type?: string, error?: Error, job?: { data: unknown }): number {
  if (error instanceof RetryableDeliveryError) return error.delayMs;
  const policy = retryPolicySchema.parse((job?.data as { retry?: unknown } | undefined)?.retry ?? {});
  return retryDelayMs(policy, attemptsMade);
}

/** The wait before the next attempt: the receiver's Retry-After (capped) or the policy's delay. */
export function nextDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined): number {
  return retryAfterMs === undefined ? retryDelayMs(policy, attempt) : Math.min(retryAfterMs, policy.maxDelayMs);
}

export class DeliveryProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  readonly process = async (job: Job, token?: string): Promise<DeliveryOutcome> => {
    const parsed = deliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      this.deps.logger.error({ jobId: job.id, issues: parsed.error.issues }, 'unreadable delivery job');
      throw new UnrecoverableError(`unreadable delivery job: ${parsed.error.message}`);
    }
    const data = parsed.data;
    const webhook = await this.currentWebhook(data.webhookId);
    if (!webhook) return { outcome: 'skipped', reason: 'webhook deleted' };
    if (!webhook.enabled) return { outcome: 'skipped', reason: 'webhook disabled' };

    await this.admit(webhook, job, token);

    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const startedMs = Date.now();
    const built = buildRequest(webhook, data.event, { deliveryId: data.deliveryId, attempt, nowMs: startedMs });
    const started = performance.now();
    const result: HttpResult = built.ok
      ? await this.deps.http.send(built.request)
      : { kind: 'error', code: RENDER_FAILED, message: built.reason };
    const durationMs = performance.now() - started;
    const finishedMs = Date.now();
    const verdict = classify(result, finishedMs);

    const lastChance = attempt >= maxAttempts;
    const outcome: DeliveryAttempt['outcome'] =
      verdict.kind === 'success' ? 'success' : verdict.kind === 'retry' && !lastChance ? 'retry' : 'dead_letter';
    const reason = verdict.kind === 'success' ? undefined : verdict.reason;

    const record: DeliveryAttempt = {
      id: `${job.id}#${attempt}`,
      deliveryId: data.deliveryId,
      webhookId: webhook.id,
      eventId: data.event.id,
      eventType: data.event.type,
      tenant: data.event.tenant,
      attempt,
      outcome,
      durationMs: Math.round(durationMs * 1000) / 1000,
      timestamp: new Date(startedMs).toISOString(),
      ...responseFields(result),
      ...(reason && result.kind === 'error' ? { error: reason } : {}),
    };
    const delayMs =
      verdict.kind === 'retry' ? nextDelayMs(data.retry, attempt, verdict.retryAfterMs) : 0;
    if (outcome === 'retry') record.nextAttemptAt = new Date(finishedMs + delayMs).toISOString();
    const deadLetter =
      outcome === 'dead_letter'
        ? deadLetterFor(data, {
            attempts: attempt,
            lastError: reason ?? 'failed',
            ...(result.kind === 'response' ? { lastStatusCode: result.statusCode } : {}),
            atMs: finishedMs,
          })
        : undefined;
    // The circuit breaker counts what says something about the endpoint: an answer, or the lack of
    // one. A delivery that never reached it (refused target, unrenderable body) is neutral.
    const endpointFailed = verdict.kind === 'retry' || verdict.kind === 'gone';
    const circuitEffect = endpointFailed ? 'failure' : result.kind === 'response' ? 'success' : 'neutral';
    const change = await this.deps.recorder.record({
      attempt: record,
      ...(deadLetter ? { deadLetter } : {}),
      ...(outcome === 'success' && data.replay > 0 ? { clearDeadLetter: data.deliveryId } : {}),
      circuit: { webhook, effect: circuitEffect, deliveryToken: String(job.id) },
    });
    await this.afterAttempt(webhook, data, { verdict, change, deadLettered: outcome === 'dead_letter', reason });

    this.deps.metrics.deliveries.inc({ outcome });
    this.deps.metrics.deliveryDuration.observe(durationMs / 1000);
    if (outcome === 'success') {
      this.deps.metrics.eventToDelivery.observe(Math.max(0, finishedMs - data.event.receivedAt) / 1000);
      return { outcome: 'success', statusCode: (result as { statusCode: number }).statusCode, attempt };
    }
    const message = `${reason} (attempt ${attempt} of ${maxAttempts})`;
    if (outcome === 'retry') throw new RetryableDeliveryError(message, delayMs);
    this.deps.logger.warn({ deliveryId: data.deliveryId, webhookId: webhook.id, reason, attempt }, 'delivery dead-lettered');
    throw new DeadLetteredError(message);
  };

  /**
   * The webhook as it is now. The cached copy may be a little stale; before skipping a delivery
   * because its webhook looks deleted or disabled, the cache is reloaded, so that a webhook created
   * or enabled a moment ago (seen fresh by the fan-out of another worker) is not missed.
   */
  private async currentWebhook(id: string): Promise<Webhook | undefined> {
    await this.deps.webhooks.refresh(this.deps.webhookCacheMs);
    const cached = this.deps.webhooks.get(id);
    if (cached?.enabled) return cached;
    await this.deps.webhooks.refresh(0);
    return this.deps.webhooks.get(id);
  }

  /**
   * Lets the delivery go out only when the webhook's circuit and rate limit allow. A token reserved
   * a moment ahead is waited for here; any longer wait puts the job back in the queue, delayed and
   * spread out, without spending an attempt.
   */
  private async admit(webhook: Webhook, job: Job, token: string | undefined): Promise<void> {
    if (!this.deps.policies.applies(webhook)) return;
    const admission = await this.deps.policies.admit(webhook, String(job.id));
    if (admission.verdict === 'ok') {
      if (admission.becameHalfOpen) await this.deps.events.emit('circuit_breaker.half_open', webhook, {});
      if (admission.waitMs > 0) await sleep(admission.waitMs);
      return;
    }
    if (admission.verdict === 'rate') {
      await this.deps.events.emit('rate_limit.exceeded', webhook, { ...webhook.rateLimit }, this.deps.rateLimitEventWindowMs);
    }
    if (!token) throw new RetryableDeliveryError(`${admission.verdict} wait without a job token`, admission.waitMs);
    // Spread the returns: deliveries held back together must not all come back at the same instant.
    const spread = Math.random() * Math.min(10_000, Math.max(1000, admission.waitMs));
    await job.moveToDelayed(Date.now() + admission.waitMs + Math.floor(spread), token);
    throw new DelayedError();
  }

  /** Circuit transitions, disabling and operational events that follow one attempt. */
  private async afterAttempt(
    webhook: Webhook,
    data: { deliveryId: string; event: { id: string; type: string } },
    what: { verdict: ReturnType<typeof classify>; change: CircuitChange | null; deadLettered: boolean; reason: string | undefined },
  ): Promise<void> {
    const { events } = this.deps;
    if (what.change?.transition === 'opened') await events.emit('circuit_breaker.opened', webhook, { reason: what.reason });
    if (what.change?.transition === 'closed') await events.emit('circuit_breaker.closed', webhook, {});
    if (what.verdict.kind === 'gone') await this.disable(webhook, 'the endpoint answered 410 Gone');
    else if (what.change?.disable) await this.disable(webhook, 'the endpoint kept failing for longer than allowed');
    // No event about a failed operational event: two failing webhooks would feed each other forever.
    if (what.deadLettered && !isOperationalEventType(data.event.type)) {
      await events.emit('delivery.dead_lettered', webhook, {
        deliveryId: data.deliveryId, eventId: data.event.id, eventType: data.event.type, lastError: what.reason,
      });
    }
  }

  private async disable(webhook: Webhook, reason: string): Promise<void> {
    // Only the worker that actually turned it off says so: concurrent 410s publish one event.
    if (!(await this.deps.webhookStore.disable(webhook.id))) return;
    this.deps.logger.warn({ webhookId: webhook.id, reason }, 'webhook disabled');
    await this.deps.events.emit('webhook.disabled', webhook, { reason });
  }
}

/** The dead letter of a delivery that failed for good. */
export function deadLetterFor(
  data: DeliveryJobData,
  failure: { attempts: number; lastError: string; lastStatusCode?: number; atMs: number },
): DeadLetter {
  return {
    id: data.deliveryId,
    webhookId: data.webhookId,
    tenant: data.event.tenant,
    event: data.event,
    attempts: failure.attempts,
    lastError: failure.lastError,
    ...(failure.lastStatusCode === undefined ? {} : { lastStatusCode: failure.lastStatusCode }),
    deadLetteredAt: new Date(failure.atMs).toISOString(),
    replays: data.replay ?? 0,
  };
}

function responseFields(result: HttpResult): Partial<DeliveryAttempt> {
  if (result.kind === 'error') return {};
  return { statusCode: result.statusCode, ...(result.body ? { responseBody: result.body } : {}) };
}
