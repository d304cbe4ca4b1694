// Writes what one attempt did, in one pipelined round trip: attempt log, counters, dead letter.
import type { Redis } from 'ioredis';
import {
  DeadLetterStore,
  execOrThrow,
  type DeadLetter,
  type DeliveryAttempt,
  type RedisKeys,
} from '@herald/shared';

export interface AttemptRecord {
  attempt: DeliveryAttempt;
  /** Parks the delivery in dead letters. */
  deadLetter?: DeadLetter;
  /** A replayed delivery succeeded: its dead letter (if still there) goes. */
  clearDeadLetter?: string;
}

export class AttemptRecorder {
  private readonly deadLetters: DeadLetterStore;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly logSize: number,
  ) {
    this.deadLetters = new DeadLetterStore(redis, keys);
  }

  async record({ attempt, deadLetter, clearDeadLetter }: AttemptRecord): Promise<void> {
    const attemptsKey = this.keys.attempts(attempt.webhookId);
    const statsKey = this.keys.webhookStats(attempt.webhookId);
    const pipeline = this.redis
      .pipeline()
      .lpush(attemptsKey, JSON.stringify(attempt))
      .ltrim(attemptsKey, 0, this.logSize - 1)
      .hincrby(statsKey, 'total', 1)
      .hincrby(statsKey, attempt.outcome, 1)
      .hincrby(statsKey, 'durationMsTotal', Math.round(attempt.durationMs));
    if (deadLetter) this.deadLetters.addTo(pipeline, deadLetter);
    if (clearDeadLetter) this.deadLetters.removeTo(pipeline, [clearDeadLetter]);
    await execOrThrow(pipeline);
  }
}
