import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { deliveryEnvelopeSchema, healthSchema, notReadySchema, readySchema } from '../../schemas/responses';
import { json } from '../route';

const TAG = 'Operations';

/** Routes without a token: health, metrics, this document and its rendering. */
export function registerOpenPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags: [TAG],
    summary: 'Liveness',
    description: 'No token.',
    security: [],
    responses: { 200: json('The process is up.', healthSchema) },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tags: [TAG],
    summary: 'Readiness',
    description: 'No token. Ready while Redis answers PING within 1 s.',
    security: [],
    responses: { 200: json('Ready.', readySchema), 503: json('Redis does not answer.', notReadySchema) },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: [TAG],
    summary: 'Prometheus metrics',
    description: 'No token. The Prometheus text format (herald_* metrics and Node process metrics).',
    security: [],
    responses: { 200: { description: 'The metrics.', content: { 'text/plain': { schema: z.string() } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tags: [TAG],
    summary: 'This document',
    description: 'No token. The OpenAPI 3.1 document of this API.',
    security: [],
    responses: { 200: { description: 'The document.', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tags: [TAG],
    summary: 'This document, to read',
    description: 'No token. This document rendered as a page (Redoc, served by the API itself: no CDN).',
    security: [],
    responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: z.string() } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs/redoc.standalone.js',
    operationId: 'docsScript',
    tags: [TAG],
    summary: "The page's script",
    description: "No token. Redoc's standalone build, from the redoc package the API ships with.",
    security: [],
    responses: { 200: { description: 'JavaScript.', content: { 'text/javascript': { schema: z.string() } } } },
  });
}

/** What Herald sends to an endpoint: the OpenAPI 3.1 `webhooks` section. */
export function registerDeliveryWebhook(registry: OpenAPIRegistry): void {
  registry.registerWebhook({
    method: 'post',
    path: 'delivery',
    operationId: 'delivery',
    tags: ['Deliveries'],
    summary: 'A delivery to your endpoint',
    description:
      'Herald POSTs (or PUTs) each event to every subscribed endpoint, signed the Standard Webhooks way. Verify `webhook-signature` over the raw body with the signing secret (`verifyWebhook` in @herald/sdk, or the `standardwebhooks` and `svix` packages), then de-duplicate by `webhook-id`: delivery is at least once. ' +
      'Answer 2xx for success. 410 disables the webhook; 408, 425, 429 and 5xx (and timeouts) are retried, honouring `Retry-After` on 429 and 503; any other status dead-letters the delivery.',
    request: {
      headers: z.object({
        'webhook-id': z.string().meta({ description: 'The event id (`evt_…`): the same on every attempt and replay.' }),
        'webhook-timestamp': z.string().meta({ description: 'Unix seconds of this attempt.' }),
        'webhook-signature': z.string().meta({
          description:
            '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the base64-decoded secret after `whsec_`; while a rotated secret is in its grace period, one per secret, separated by spaces.',
        }),
        'x-herald-event': z.string().meta({ description: 'The event type.' }),
        'x-herald-delivery-id': z.string().meta({ description: '`<eventId>.<webhookId>`.' }),
        'x-herald-attempt': z.string().meta({ description: 'The attempt number, from 1.' }),
      }),
      body: { content: { 'application/json': { schema: deliveryEnvelopeSchema } } },
    },
    responses: {
      200: { description: 'Any 2xx: delivered.' },
      410: { description: 'Gone: Herald disables the webhook.' },
    },
  });
}
