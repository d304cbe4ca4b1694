import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { orderingSchema, webhookCreateSchema, webhookUpdateSchema } from '@herald/shared';
import { z } from 'zod';
import { filterTestSchema } from '../../routes/filters';
import { deliveriesQuerySchema, fifoSkipSchema, filterPreviewQuerySchema, recoverSchema, rotateSecretSchema, webhookListQuerySchema } from '../../routes/webhooks';
import {
  attemptPageSchema,
  createdWebhookSchema,
  fifoSkippedSchema,
  fifoStatusSchema,
  filterPreviewSchema,
  filterTestResultSchema,
  publicWebhookSchema,
  replayResultSchema,
  rotatedWebhookSchema,
  testPendingSchema,
  testResultSchema,
  webhookDefaultsSchema,
  webhookListSchema,
  webhookStatsSchema,
} from '../../schemas/responses';
import { idParam, json, registerV1 } from '../route';

const TAG = 'Webhooks';
const webhookId = idParam('The webhook id (`wh_…`).');
const NOT_FOUND = 'No such webhook (or one of another tenant).';

/**
 * The patch as documented. zod-to-openapi writes a nullable registered schema (`Ordering`) as
 * `allOf: [$ref, { type: [object, null] }]`, which generated clients read as "Ordering and an
 * empty object" (the SDK could not set it); `anyOf: [$ref, null]` says what the route accepts.
 * The route keeps `.nullable()`, whose 400s name the failing field inside `ordering`.
 */
const webhookUpdateDocument = webhookUpdateSchema
  .extend({ ordering: z.union([orderingSchema, z.null()]).optional() })
  .meta(webhookUpdateSchema.meta() ?? {});

export function registerWebhookPaths(registry: OpenAPIRegistry): void {
  registerV1(registry, {
    method: 'post',
    path: '/v1/webhooks',
    operationId: 'createWebhook',
    tags: [TAG],
    summary: 'Create a webhook',
    description:
      'Subscribes an endpoint to event types. The answer is the only one that shows the signing secret: keep it. ' +
      'Not idempotent: a retry may create a second webhook (give it a `name` to have a retry refused with 409 instead).',
    access: 'any',
    request: { body: { required: true, content: { 'application/json': { schema: webhookCreateSchema } } } },
    responses: {
      201: json('Created, with its signing secret.', createdWebhookSchema, {
        Location: { description: '`/v1/webhooks/<id>`', required: true, schema: { type: 'string' } },
      }),
    },
    errors: {
      400: 'An invalid field (`url`, `events.0`, `templateVars.routingKey`, `filter.data.amount.$gte`, …), or a refused target URL.',
      403: 'A tenant token naming another tenant.',
      409: 'The `name` is taken in the tenant.',
    },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks',
    operationId: 'listWebhooks',
    tags: [TAG],
    summary: 'List webhooks',
    description: 'Every webhook (of the tenant), oldest first. Secrets and credentials are never listed.',
    access: 'any',
    request: { query: webhookListQuerySchema },
    responses: { 200: json('The webhooks.', webhookListSchema) },
    errors: { 400: true, 403: 'A tenant token asking for another tenant.' },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks/defaults',
    operationId: 'getWebhookDefaults',
    tags: [TAG],
    summary: 'Defaults of new webhooks',
    description:
      'What `POST /v1/webhooks` gives each field a new webhook leaves out, as this API is configured (HERALD_RETRY_*, HERALD_DEFAULT_TIMEOUT_MS). A form shows them as placeholders and sends only what was typed, so that the configuration applies.',
    access: 'any',
    responses: { 200: json('The defaults.', webhookDefaultsSchema) },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}',
    operationId: 'getWebhook',
    tags: [TAG],
    summary: 'Read a webhook',
    access: 'any',
    request: { params: webhookId },
    responses: { 200: json('The webhook.', publicWebhookSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'patch',
    path: '/v1/webhooks/{id}',
    operationId: 'updateWebhook',
    tags: [TAG],
    summary: 'Update a webhook',
    description: 'Sets the fields sent and leaves the others; sending the same patch twice is the same as once.',
    access: 'any',
    request: { params: webhookId, body: { required: true, content: { 'application/json': { schema: webhookUpdateDocument } } } },
    responses: { 200: json('The webhook as it now is.', publicWebhookSchema) },
    errors: { 404: NOT_FOUND, 409: 'The `name` is taken in the tenant.' },
  });

  registerV1(registry, {
    method: 'delete',
    path: '/v1/webhooks/{id}',
    operationId: 'deleteWebhook',
    tags: [TAG],
    summary: 'Delete a webhook',
    description: 'Deletes it with its attempt log and counters; deliveries already queued for it are skipped.',
    access: 'any',
    request: { params: webhookId },
    responses: { 204: { description: 'Deleted.' } },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/webhooks/{id}/test',
    operationId: 'testWebhook',
    tags: [TAG],
    summary: 'Send a test event',
    description:
      "Sends one `herald.test` event to this webhook only (one attempt, no retries) and waits for the attempt, up to the webhook's timeout + 5 s.",
    access: 'any',
    request: { params: webhookId },
    responses: {
      200: json('The attempt was made: `delivered` or `failed`.', testResultSchema),
      202: json('No attempt reported in time; see the delivery log.', testPendingSchema),
    },
    errors: { 404: NOT_FOUND, 409: 'The webhook is disabled.' },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/webhooks/{id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    tags: [TAG],
    summary: 'Rotate the signing secret',
    description:
      'Gives the webhook a new signing secret, shown only in this answer. The old one keeps signing beside it (a second signature in `webhook-signature`) for the grace period. Not idempotent: each call makes a new secret.',
    access: 'any',
    request: { params: webhookId, body: { required: false, content: { 'application/json': { schema: rotateSecretSchema } } } },
    responses: { 200: json('The webhook with its new secret.', rotatedWebhookSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    tags: [TAG],
    summary: 'The attempt log',
    description: "The webhook's delivery attempts, newest first, from its log (the newest HERALD_ATTEMPT_LOG_SIZE, 10,000 by default).",
    access: 'any',
    request: { params: webhookId, query: deliveriesQuerySchema },
    responses: { 200: json('A page of attempts.', attemptPageSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}/stats',
    operationId: 'webhookStats',
    tags: [TAG],
    summary: "A webhook's statistics",
    description: 'Computed from the attempt log, so they agree with the deliveries listed; `lifetime` counts since creation.',
    access: 'any',
    request: { params: webhookId },
    responses: { 200: json('The statistics.', webhookStatsSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}/filter/preview',
    operationId: 'previewWebhookFilter',
    tags: [TAG],
    summary: "Preview a webhook's filter on recent events",
    description:
      "Runs the webhook's filter (or `filter`, to try one before saving it) over the newest `last` events of its tenant and event types, among the newest 10,000 in the stream, and answers how many it lets through and refuses, with up to 5 of each (a refused one with the condition it fails). Nothing is delivered.",
    access: 'any',
    request: { params: webhookId, query: filterPreviewQuerySchema },
    responses: { 200: json('What the filter would let through.', filterPreviewSchema) },
    errors: { 400: 'An invalid `last`, or a `filter` that is not valid JSON or not a valid filter (`filter.data.amount.$gte`, …).', 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/filters/test',
    operationId: 'testFilter',
    tags: [TAG],
    summary: 'Test a filter on an event',
    description:
      'Whether `event` passes `filter`, and if not, the first condition it fails in words (`data.amount: 50 is not >= 100`). The filter is checked as saving a webhook checks it. Nothing is stored or delivered.',
    access: 'any',
    request: { body: { required: true, content: { 'application/json': { schema: filterTestSchema } } } },
    responses: { 200: json('The verdict.', filterTestResultSchema) },
    errors: { 400: 'An invalid filter (`filter.data.amount.$gte: must be a number or a string`) or event.' },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/webhooks/{id}/recover',
    operationId: 'recoverWebhook',
    tags: [TAG],
    summary: 'Replay dead letters since a time',
    description:
      "Replays this webhook's dead letters parked at or after `since` (those parked before the call): fresh attempts with the same delivery id and `webhook-id`.",
    access: 'any',
    request: { params: webhookId, body: { required: true, content: { 'application/json': { schema: recoverSchema } } } },
    responses: { 202: json('What was replayed and what was skipped.', replayResultSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}/fifo',
    operationId: 'getWebhookFifo',
    tags: [TAG],
    summary: "A FIFO webhook's lines",
    description:
      'How many deliveries wait in the lines of a webhook with `ordering`, how many lines there are and how many have their head out, the oldest head, and each blocked line (its head spent its attempts under `onExhausted: "block"`) with its dead letter.',
    access: 'any',
    request: { params: webhookId },
    responses: { 200: json('Its lines.', fifoStatusSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/webhooks/{id}/fifo/skip',
    operationId: 'skipWebhookFifoHead',
    tags: [TAG],
    summary: "Skip a blocked line's head",
    description:
      "Moves a blocked line on without its head: the head's dead letter stays (replaying it later puts it at the tail of its line), and the line's next delivery goes out. To retry the head in place instead, replay its dead letter.",
    access: 'any',
    request: { params: webhookId, body: { required: false, content: { 'application/json': { schema: fifoSkipSchema } } } },
    responses: { 200: json('The head skipped.', fifoSkippedSchema) },
    errors: { 400: '`key` missing for a webhook that orders by a key.', 404: NOT_FOUND, 409: 'That line is not blocked.' },
  });
}
