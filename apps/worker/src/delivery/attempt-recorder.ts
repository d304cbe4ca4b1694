// Writes what one attempt did, in one round trip: the webhook's and the event's attempt logs,
// counters and dead letter (one Lua script), and the circuit breaker.
import { join } from 'node:path';
import {
  DeadLetterStore,
  defineLuaCommands,
  queueLua,
  type DeadLetter,
  type DeliveryAttempt,
  type RedisKeys,
  type Webhook,
  type RedisClient,
} from '@herald/shared';
import { DeliveryPolicies, type CircuitChange } from '../policies/delivery-policies';

/** Attempts kept per event (over all its webhooks), and for how long. */
const EVENT_ATTEMPTS_KEPT = 200;
const EVENT_ATTEMPTS_TTL_SECONDS = 7 * 86_400;

export interface AttemptRecord {
  attempt: DeliveryAttempt;
  /** Parks the delivery in dead letters. */
  deadLetter?: DeadLetter;
  /** A replayed delivery succeeded: its dead letter (if still there) goes. */
  clearDeadLetter?: string;
  /** The attempt's effect on the webhook's circuit breaker. */
  circuit?: { webhook: Webhook; endpointFailed: boolean };
}

export class AttemptRecorder {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly logSize: number,
    private readonly policies: DeliveryPolicies,
  ) {
    defineLuaCommands(redis, join(__dirname, '..', 'lua'), { heraldRecordAttempt: 'record-attempt-6.lua' });
  }

  /** Returns the circuit breaker's change, when the attempt went to the breaker. */
  async record({ attempt, deadLetter, clearDeadLetter, circuit }: AttemptRecord): Promise<CircuitChange | null> {
    const json = JSON.stringify(attempt);
    // Parked in the store's own format (the script only writes it).
    const parked = deadLetter ? DeadLetterStore.encode(deadLetter) : undefined;
    const pipeline = this.redis.pipeline();
    // One scripted command instead of a dozen: the client-side cost per command dominates here.
    const keys = [
      this.keys.attempts(attempt.webhookId),
      this.keys.webhookStats(attempt.webhookId),
      this.keys.globalStats,
      this.keys.eventAttempts(attempt.eventId),
      this.keys.deadLetters,
      this.keys.deadLettersByTime,
    ];
    queueLua(pipeline, 'heraldRecordAttempt', keys, [
      json,
      attempt.outcome,
      Math.round(attempt.durationMs),
      this.logSize,
      EVENT_ATTEMPTS_KEPT,
      EVENT_ATTEMPTS_TTL_SECONDS,
      parked?.id ?? '',
      parked?.json ?? '',
      parked?.score ?? 0,
      clearDeadLetter ?? '',
    ]);
    const circuitQueued = circuit ? this.policies.recordTo(pipeline, circuit.webhook, circuit.endpointFailed) : false;
    const replies = (await pipeline.exec()) ?? [];
    // The attempt log and dead letter must be written; the circuit update is best effort (a failure
    // there must not fail, and so repeat, a delivery that was made).
    const essential = circuitQueued ? replies.slice(0, -1) : replies;
    const failure = essential.find(([error]) => error);
    if (failure) throw failure[0];
    const [circuitError, circuitReply] = circuitQueued ? (replies.at(-1) ?? [null, null]) : [null, null];
    return circuitQueued && !circuitError ? DeliveryPolicies.readChange(circuitReply) : null;
  }
}
