// @herald/sdk: a typed client for Herald's API (all of @herald/sdk/browser), and webhook
// verification for receivers.
export * from './browser';
export { WebhookVerificationError, type WebhookVerificationCode } from './errors/webhook-verification-error';
export { verifyWebhook, type VerifyOptions, type WebhookHeaders } from './verify';
export { webhookMiddleware, type WebhookMiddlewareOptions } from './express';
export type { components, operations, paths, webhooks } from './generated/openapi';
