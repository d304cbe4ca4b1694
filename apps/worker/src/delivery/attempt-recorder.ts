// Writes what one attempt did, in one pipelined round trip: the webhook's and the event's attempt
// logs, counters, dead letter and circuit breaker.
import type { Redis } from 'ioredis';
import {
  DeadLetterStore,
  type DeadLetter,
  type DeliveryAttempt,
  type RedisKeys,
  type Webhook,
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
  private readonly deadLetters: DeadLetterStore;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly logSize: number,
    private readonly policies: DeliveryPolicies,
  ) {
    this.deadLetters = new DeadLetterStore(redis, keys);
  }

  /** Returns the circuit breaker's change, when the attempt went to the breaker. */
  async record({ attempt, deadLetter, clearDeadLetter, circuit }: AttemptRecord): Promise<CircuitChange | null> {
    const attemptsKey = this.keys.attempts(attempt.webhookId);
    const statsKey = this.keys.webhookStats(attempt.webhookId);
    const eventKey = this.keys.eventAttempts(attempt.eventId);
    const json = JSON.stringify(attempt);
    const pipeline = this.redis
      .pipeline()
      .lpush(attemptsKey, json)
      .ltrim(attemptsKey, 0, this.logSize - 1)
      .hincrby(statsKey, 'total', 1)
      .hincrby(statsKey, attempt.outcome, 1)
      .hincrby(statsKey, 'durationMsTotal', Math.round(attempt.durationMs))
      .hincrby(this.keys.globalStats, 'total', 1)
      .hincrby(this.keys.globalStats, attempt.outcome, 1)
      .lpush(eventKey, json)
      .ltrim(eventKey, 0, EVENT_ATTEMPTS_KEPT - 1)
      .expire(eventKey, EVENT_ATTEMPTS_TTL_SECONDS);
    if (deadLetter) this.deadLetters.addTo(pipeline, deadLetter);
    if (clearDeadLetter) this.deadLetters.removeTo(pipeline, [clearDeadLetter]);
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
