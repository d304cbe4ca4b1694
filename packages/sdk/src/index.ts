// @herald/sdk: a typed client for Herald's API, and webhook verification for receivers.
export { Herald, type HeraldOptions } from './client';
export { HeraldError } from './errors/herald-error';
export { HeraldApiError } from './errors/herald-api-error';
export { HeraldNetworkError } from './errors/herald-network-error';
export { WebhookVerificationError, type WebhookVerificationCode } from './errors/webhook-verification-error';
export { verifyWebhook, type VerifyOptions, type WebhookHeaders } from './verify';
export { webhookMiddleware, type WebhookMiddlewareOptions } from './express';
export type { RetryOptions } from './retry';
export type { DeadLetterListOptions } from './resources/dead-letters';
export type {
  ConfigApplyResult,
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
  WebhookEvent,
  WebhookStats,
  WebhookUpdate,
} from './types';
export type { components, operations, paths, webhooks } from './generated/openapi';
