/**
 * The attempt never reached the endpoint because the egress proxy failed: it is not spent. The
 * delivery is put back in the queue for `delayMs` (run/ decides how), its circuit untouched.
 */
export class DeliveryHeldError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'DeliveryHeldError';
  }
}
