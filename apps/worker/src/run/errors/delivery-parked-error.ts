/**
 * A queued delivery's circuit is open: it was parked (or, the webhook's parking being full,
 * dead-lettered), and its job ends without an attempt. Thrown by admission, caught by the processor.
 */
export class DeliveryParkedError extends Error {
  readonly code = 'delivery_parked';

  constructor(readonly parked: boolean) {
    super(parked ? 'parked while the circuit is open' : 'dead-lettered: the webhook has as many deliveries parked as it may');
    this.name = 'DeliveryParkedError';
  }
}
