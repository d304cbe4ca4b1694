/** A failed attempt worth retrying; BullMQ's backoff hook waits `delayMs`, which the decision chose. */
export class RetryableDeliveryError extends Error {
  readonly code = 'delivery_retry';

  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}
