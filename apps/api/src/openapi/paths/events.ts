import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { eventInputSchema } from '@herald/shared';
import { MAX_BATCH, eventBatchSchema, eventHistoryQuerySchema, idempotencyHeaderSchema } from '../../routes/events';
import { batchResultSchema, eventDetailSchema, eventListSchema, eventStatsSchema, publishResultSchema } from '../../schemas/responses';
import { idParam, json, registerV1 } from '../route';

const TAG = 'Events';

const PUBLISH_UNAVAILABLE =
  'Nothing was accepted; retry after `Retry-After` seconds. `title` says why: "Backlog full" (as many events wait unread by the workers as the stream may hold, HERALD_STREAM_MAXLEN: ' +
  'workers are down or behind); "Storage full" (Redis memory is past HERALD_REDIS_MEMORY_HIGH_WATER of its maxmemory, or Redis refused the write: deliveries of what was accepted go on and free room); ' +
  'or "Service unavailable" (Redis does not answer: such a publish may still have been appended, so retry it with an `id`).';

export function registerEventPaths(registry: OpenAPIRegistry): void {
  registerV1(registry, {
    method: 'post',
    path: '/v1/events',
    operationId: 'publishEvent',
    tags: [TAG],
    summary: 'Publish an event',
    description:
      'Validates the event and appends it to the events stream; workers deliver it to every enabled webhook of its tenant that subscribes to its type. ' +
      'Idempotent with a key (body `id`, or the `Idempotency-Key` header): the same key for the same tenant within 24 h is accepted once, and a repeat is answered 202 with the first event\'s id and `duplicate: true`. ' +
      'Send a key when you retry: a publish answered 503 may still have been appended.',
    access: 'any',
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyHeaderSchema }),
      body: { required: true, content: { 'application/json': { schema: eventInputSchema } } },
    },
    responses: { 202: json('Accepted (or a duplicate of an event accepted before).', publishResultSchema) },
    errors: {
      400: 'Invalid event: `errors` names each field (`type`, `data.a.__proto__`, …); a reserved operational type; a body that is not a UTF-8 JSON object.',
      403: 'A tenant token naming another tenant.',
      413: 'The event is over 1 MiB (1,048,576 bytes) as serialized JSON.',
      503: PUBLISH_UNAVAILABLE,
    },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/events/batch',
    operationId: 'publishEventBatch',
    tags: [TAG],
    summary: 'Publish up to 1,000 events',
    description:
      `1 to ${MAX_BATCH} events in one request (at most 16 MiB), all or nothing: one invalid event refuses the batch, naming its fields (\`events.3.type\`). ` +
      "Each event's `id` is its idempotency key, as for a single publish.",
    access: 'any',
    request: { body: { required: true, content: { 'application/json': { schema: eventBatchSchema } } } },
    responses: { 202: json('Accepted: one result per event, in order.', batchResultSchema) },
    errors: {
      400: 'An invalid event (fields named as `events.<index>.<field>`), or no events, or more than 1,000.',
      403: 'A tenant token naming another tenant.',
      413: 'The request is over 16 MiB, or one event over 1 MiB.',
      503: PUBLISH_UNAVAILABLE,
    },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/events',
    operationId: 'listEvents',
    tags: [TAG],
    summary: 'Recent events',
    description: 'Events among the newest 1,000 in the stream, newest first.',
    access: 'any',
    request: { query: eventHistoryQuerySchema },
    responses: { 200: json('The events.', eventListSchema) },
    errors: { 400: true },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/events/stats',
    operationId: 'eventStats',
    tags: [TAG],
    summary: 'Events by type',
    description: 'How many events were fanned out, by event type.',
    access: 'any',
    responses: { 200: json('Counts by type.', eventStatsSchema) },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/events/{id}',
    operationId: 'getEvent',
    tags: [TAG],
    summary: 'An event and its deliveries',
    description: 'The event (while among the newest 1,000 in the stream) and every attempt at delivering it (kept HERALD_EVENT_ATTEMPTS_TTL, 1 h by default).',
    access: 'any',
    request: { params: idParam("Herald's event id (`evt_…`).") },
    responses: { 200: json('The event and its attempts.', eventDetailSchema) },
    errors: { 404: 'No such recent event, nor attempts at it.' },
  });
}
