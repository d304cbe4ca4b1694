// What an attempt leaves to write (settlementFor, parkedSettlement, deadLetterFor) and what follows
// once it is written (afterSettled): the step between an attempt (attempt/) and its settling (settle/).
import type { CircuitSettings, DeadLetter, DeliveryAttempt, StoredEvent, Webhook } from '@herald/shared';
import type { WorkerMetrics } from '../metrics';
import type { DeliveryPolicies } from '../policies/delivery-policies';
import type { AttemptRun, DeliveryTarget } from '../attempt/attempt';
import type { Decision } from '../attempt/decide';
import type { FifoSettlement, ParkedSettlement } from '../settle/settle-script';
import type { Settlement } from '../settle/settler';
import { AttemptEffects } from './attempt-effects';

/** Once the attempt is written: counted in the metrics, and its operational effects followed. */
export async function afterSettled(
  deps: { metrics: WorkerMetrics; effects: AttemptEffects },
  target: DeliveryTarget,
  run: AttemptRun,
  decision: Decision,
): Promise<void> {
  countAttempt(deps.metrics, run, decision, target.event);
  if (AttemptEffects.follow(decision)) await deps.effects.attempted(target.webhook, { deliveryId: target.deliveryId, event: target.event }, decision);
  if (target.webhook.tls) await deps.effects.certificateUsed(target.webhook);
}

/**
 * What the attempt leaves to write: the attempt itself, its dead letter when it failed for good,
 * the clearing of a replayed delivery's dead letter when it succeeded, and its effect on the
 * circuit (`token` is the delivery's identity there: the probe's, when half-open).
 */
export function settlementFor(
  target: DeliveryTarget,
  run: AttemptRun,
  decision: Decision,
  circuit: { settings: CircuitSettings; token: string },
): Settlement {
  const { webhook, event } = target;
  const attempt: DeliveryAttempt = {
    id: `${target.runId}#${target.attempt}`,
    deliveryId: target.deliveryId,
    webhookId: webhook.id,
    eventId: event.id,
    eventType: event.type,
    tenant: event.tenant,
    attempt: target.attempt,
    outcome: decision.outcome,
    durationMs: Math.round(run.durationMs * 1000) / 1000,
    timestamp: new Date(run.startedMs).toISOString(),
    ...(run.result.kind === 'response'
      ? { statusCode: run.result.statusCode, ...(run.result.body ? { responseBody: run.result.body } : {}) }
      : decision.reason
        ? { error: decision.reason }
        : {}),
    ...(decision.outcome === 'retry' ? { nextAttemptAt: new Date(run.finishedMs + decision.delayMs).toISOString() } : {}),
  };
  return {
    webhookId: webhook.id,
    tenant: event.tenant,
    attempt,
    ...(decision.reason ? { failureReason: decision.reason } : {}),
    ...(decision.outcome === 'dead_letter'
      ? {
          deadLetter: deadLetterFor({ ...target, webhookId: webhook.id }, {
            attempts: target.attempt,
            lastError: decision.reason ?? 'failed',
            ...(run.result.kind === 'response' ? { lastStatusCode: run.result.statusCode } : {}),
            atMs: run.finishedMs,
          }),
        }
      : {}),
    ...(decision.outcome === 'success' && target.replay > 0 ? { clearDeadLetter: true } : {}),
    circuit: { settings: circuit.settings, record: { effect: decision.circuitEffect, token: circuit.token, startedAtMs: run.startedMs } },
  };
}

/**
 * A delivery parked while its webhook's circuit is open, after `attemptsBefore` attempts of its run;
 * dead-lettered instead (backlog_full) when the webhook already has its `maxBacklog` parked.
 */
export function parkedSettlement(
  policies: Pick<DeliveryPolicies, 'maxBacklog'>,
  webhook: Webhook,
  target: Pick<DeliveryTarget, 'deliveryId' | 'event' | 'replay'>,
  attemptsBefore: number,
): ParkedSettlement {
  const maxBacklog = policies.maxBacklog(webhook);
  return {
    webhookId: webhook.id,
    event: target.event,
    attemptsBefore,
    replay: target.replay,
    maxBacklog,
    backlogFull: deadLetterFor({ ...target, webhookId: webhook.id }, { attempts: attemptsBefore, lastError: BACKLOG_FULL, atMs: Date.now() }),
  };
}

/** A dead letter's lastError when its webhook had as many deliveries parked as it may. */
export const BACKLOG_FULL = 'backlog_full';

/** The dead letter of a delivery that failed for good. */
export function deadLetterFor(
  target: Pick<DeliveryTarget, 'deliveryId' | 'event' | 'replay'> & { webhookId: string },
  failure: { attempts: number; lastError: string; lastStatusCode?: number; atMs: number },
): DeadLetter {
  return {
    id: target.deliveryId,
    webhookId: target.webhookId,
    tenant: target.event.tenant,
    event: target.event,
    attempts: failure.attempts,
    lastError: failure.lastError,
    ...(failure.lastStatusCode === undefined ? {} : { lastStatusCode: failure.lastStatusCode }),
    deadLetteredAt: new Date(failure.atMs).toISOString(),
    replays: target.replay,
  };
}

/** The attempt in the worker's Prometheus metrics. */
function countAttempt(metrics: WorkerMetrics, run: AttemptRun, decision: Decision, event: StoredEvent): void {
  metrics.deliveries.inc({ outcome: decision.outcome });
  metrics.deliveryDuration.observe(run.durationMs / 1000);
  if (decision.outcome === 'success') metrics.eventToDelivery.observe(Math.max(0, run.finishedMs - event.receivedAt) / 1000);
}

/** A FIFO head's settlement: its line moves on, or (with `blockedBy`, the dead letter's error) waits blocked. */
export function fifoDone(webhookId: string, fifo: { line: string; member: string; n: number }, blockedBy?: string): FifoSettlement {
  const head = { webhookId, line: fifo.line, member: fifo.member, n: fifo.n };
  if (blockedBy === undefined) return { ...head, action: 'advance' };
  return { ...head, action: 'block', info: JSON.stringify({ m: fifo.member, since: new Date().toISOString(), error: blockedBy }) };
}

/** The dead letter's lastError of a FIFO head that spent its attempts: whether its line skipped it or blocks on it, then why. */
export function fifoExhaustedError(block: boolean, reason: string): string {
  return `${block ? 'fifo_blocked' : 'fifo_skipped'}: ${reason}`;
}
