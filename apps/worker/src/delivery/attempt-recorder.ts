// Writes what one attempt did in one scripted command: the webhook's and the event's attempt logs,
// counters, dead letter, and the circuit breaker.
import { join } from 'node:path';
import {
  DeadLetterStore,
  defineLuaCommands,
  callLua,
  type DeadLetter,
  type DeliveryAttempt,
  type RedisKeys,
  type Webhook,
  type RedisClient,
} from '@herald/shared';
import { DeliveryPolicies, type CircuitChange, type CircuitEffect } from '../policies/delivery-policies';

/** Attempts kept per event (over all its webhooks). */
const EVENT_ATTEMPTS_KEPT = 200;

export interface AttemptLogLimits {
  /** Attempts kept per webhook. */
  logSize: number;
  /** How long an event's own attempt list is kept, in ms; 0 keeps none. */
  eventAttemptsTtlMs: number;
}

export interface AttemptRecord {
  attempt: DeliveryAttempt;
  /** Parks the delivery in dead letters. */
  deadLetter?: DeadLetter;
  /** A replayed delivery succeeded: its dead letter (if still there) goes. */
  clearDeadLetter?: string;
  /** The attempt's effect on the webhook's circuit breaker; the token is the delivery's (probe) identity. */
  circuit?: { webhook: Webhook; effect: CircuitEffect; deliveryToken: string };
}

export class AttemptRecorder {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly policies: DeliveryPolicies,
    private readonly limits: AttemptLogLimits,
  ) {
    defineLuaCommands(redis, join(__dirname, '..', 'lua'), { heraldRecordAttempt: 'record-attempt-10.lua' });
  }

  /** Returns the circuit breaker's change, when the attempt was given a circuit effect. */
  async record({ attempt, deadLetter, clearDeadLetter, circuit }: AttemptRecord): Promise<CircuitChange | null> {
    const json = JSON.stringify(attempt);
    // Parked in the store's own format (the script only writes it).
    const parked = deadLetter ? DeadLetterStore.encode(deadLetter) : undefined;
    // One scripted command instead of a dozen: the client-side cost per command dominates here.
    const keys = [
      this.keys.attempts(attempt.webhookId),
      this.keys.webhookStats(attempt.webhookId),
      this.keys.globalStats,
      this.keys.eventAttempts(attempt.eventId),
      this.keys.deadLetters,
      this.keys.deadLettersByTime,
      this.keys.circuit(attempt.webhookId),
      this.keys.openCircuits,
      this.keys.deadLettersOfWebhook(attempt.webhookId),
      this.keys.deadLettersOfTenant(attempt.tenant),
    ];
    const reply = await callLua(this.redis, 'heraldRecordAttempt', keys, [
      json,
      attempt.outcome,
      Math.round(attempt.durationMs),
      this.limits.logSize,
      EVENT_ATTEMPTS_KEPT,
      Math.ceil(this.limits.eventAttemptsTtlMs / 1000),
      parked?.id ?? '',
      parked?.json ?? '',
      parked?.score ?? 0,
      clearDeadLetter ?? '',
      // '' leaves the circuit alone.
      ...(circuit ? this.policies.circuitArgs(circuit.webhook, circuit.effect, circuit.deliveryToken) : ['']),
    ]);
    return circuit ? DeliveryPolicies.readChange(reply) : null;
  }
}
