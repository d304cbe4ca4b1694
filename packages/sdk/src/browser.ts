// @herald/sdk/browser: the API client alone, for web pages (Herald's admin console). Nothing it
// imports needs Node; webhook verification (Node's crypto) and the Express middleware stay out.
export { Herald, type HeraldOptions } from './client';
export { HeraldError } from './errors/herald-error';
export { HeraldApiError, describeProblem } from './errors/herald-api-error';
export { HeraldNetworkError } from './errors/herald-network-error';
export type { RetryOptions } from './retry';
export type { DeadLetterListOptions } from './resources/dead-letters';
export type {
  ConfigApplyResult,
  ReencryptResult,
  ConfigDocument,
  CreatedWebhook,
  DeadLetter,
  DeadLetterDetail,
  DeadLetterFilter,
  DeliveriesQuery,
  DeliveryAttempt,
  Event,
  EventDetail,
  EventInput,
  EventListQuery,
  FieldError,
  FifoBlockedLine,
  FifoSkipInput,
  FifoSkipped,
  FifoStatus,
  Filter,
  FilterEnvelope,
  FilterPreview,
  FilterPreviewQuery,
  FilterTestResult,
  Ordering,
  Page,
  Problem,
  PublishResult,
  RecoverInput,
  ReplayInput,
  ReplayResult,
  RetryPolicy,
  RetryPolicyInput,
  RotatedWebhook,
  Stats,
  TestResult,
  TimeInput,
  Webhook,
  WebhookCreate,
  WebhookDefaults,
  WebhookEvent,
  WebhookStats,
  WebhookUpdate,
} from './types';
