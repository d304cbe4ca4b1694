import { UnrecoverableError } from 'bullmq';

/** A failed attempt worth retrying; BullMQ's backoff hook waits `delayMs`, decided by the processor. */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/** The delivery failed for good and is already in dead letters: BullMQ must not retry it. */
export class DeadLetteredError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'DeadLetteredError';
  }
}
