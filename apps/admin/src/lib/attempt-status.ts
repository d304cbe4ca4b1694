// How an attempt reads in a delivery log: its outcome, its status, and what comes next. Pure, so it
// is tested without a browser; the page passes the time, so "next attempt in" counts from now.
import type { DeliveryAttempt, Webhook } from '@herald/sdk/browser';
import { formatMs } from './format';

const OUTCOME_TEXT: Record<DeliveryAttempt['outcome'], string> = { success: 'Succeeded', retry: 'Failed, will retry', dead_letter: 'Failed, dead-lettered', skipped: 'Skipped' };

export interface AttemptContext {
  /** Now, in unix ms. */
  nowMs: number;
  /** The circuit of the attempt's webhook, now. */
  circuit: Webhook['circuit'];
  /** Whether the log shows a later attempt of the same delivery (so what came next is in the log). */
  superseded: boolean;
}

/**
 * "Failed, will retry · HTTP 500 · next attempt in 2.50 s". A retry due once the webhook's circuit
 * had opened waits for the circuit, not for its time: "waiting: circuit open".
 */
export function attemptStatus(attempt: DeliveryAttempt, { nowMs, circuit, superseded }: AttemptContext): string {
  const parts = [OUTCOME_TEXT[attempt.outcome]];
  if (attempt.statusCode !== undefined) parts.push(`HTTP ${attempt.statusCode}`);
  else if (attempt.error) parts.push(attempt.error);
  if (attempt.outcome === 'retry' && attempt.nextAttemptAt && !superseded) {
    const dueAt = Date.parse(attempt.nextAttemptAt);
    if (circuit.state !== 'closed' && circuit.openedAt !== undefined && dueAt >= Date.parse(circuit.openedAt)) {
      parts.push(`waiting: circuit ${circuit.state === 'open' ? 'open' : 'half-open'}`);
    } else if (dueAt > nowMs) {
      parts.push(`next attempt in ${formatMs(dueAt - nowMs)}`);
    }
  }
  return parts.join(' · ');
}

/** Ids of the attempts in a newest-first list that a later attempt of the same delivery follows. */
export function supersededAttempts(newestFirst: readonly DeliveryAttempt[]): Set<string> {
  const latest = new Map<string, number>();
  const superseded = new Set<string>();
  for (const attempt of newestFirst) {
    const later = latest.get(attempt.deliveryId);
    if (later !== undefined && later > attempt.attempt) superseded.add(attempt.id);
    latest.set(attempt.deliveryId, Math.max(later ?? 0, attempt.attempt));
  }
  return superseded;
}
