export { RetryableDeliveryError } from './retryable-delivery-error';
export { DeadLetteredError } from './dead-lettered-error';
export { UnreadableJobError } from './unreadable-job-error';
export { DeliveryParkedError } from './delivery-parked-error';
