import { UnrecoverableError } from 'bullmq';

/** The delivery failed for good and is already in dead letters: BullMQ must not retry it. */
export class DeadLetteredError extends UnrecoverableError {
  readonly code = 'delivery_dead_lettered';

  constructor(message: string) {
    super(message);
    this.name = 'DeadLetteredError';
  }
}
