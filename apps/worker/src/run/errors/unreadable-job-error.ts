import { UnrecoverableError } from 'bullmq';

/** The job's data is not a delivery this worker can read: it fails at once, and is dead-lettered if it names one. */
export class UnreadableJobError extends UnrecoverableError {
  readonly code = 'delivery_job_unreadable';

  constructor(message: string) {
    super(message);
    this.name = 'UnreadableJobError';
  }
}
