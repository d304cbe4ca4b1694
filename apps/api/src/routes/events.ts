import { Router } from 'express';
import { z } from 'zod';
import { MAX_EVENT_BYTES, eventInputSchema, eventTypeSchema, isOperationalEventType, numberFromText, type ParsedEventInput } from '@herald/shared';
import { HISTORY_SIZE, type EventHistory } from '../services/event-history';
import type { AttemptLog } from '../services/attempt-log';
import type { AcceptedEvent, EventIngest } from '../services/event-ingest';
import { HttpProblem, describeLimit, invalidFields, parseOr400 } from '../problem';
import { tenantScope, type Principal } from '../middleware/auth';
import type { ApiMetrics } from '../metrics';

export const MAX_BATCH = 1000;

export const eventBatchSchema = z
  .strictObject({
    events: z
      .array(eventInputSchema)
      .min(1, 'must hold at least one event')
      .max(MAX_BATCH, `must hold at most ${MAX_BATCH} events`),
  })
  .meta({
    id: 'EventBatch',
    description: `1 to ${MAX_BATCH} events, at most 16 MiB in all, accepted all or nothing: one invalid event refuses the batch, naming its fields (events.3.type).`,
  });

export const idempotencyHeaderSchema = z
  .string()
  .min(1)
  .max(256)
  .optional()
  .meta({ description: "The event's idempotency key, when the body has no `id` (the body's wins): the same key within 24 h is accepted once." });

export const eventHistoryQuerySchema = z.object({
  type: eventTypeSchema.optional().meta({ description: 'Only events of this type.' }),
  limit: numberFromText(z.number().int().min(1).max(HISTORY_SIZE))
    .default(100)
    .meta({ description: `At most this many (1–${HISTORY_SIZE}).` }),
});

export function eventsRouter(ingest: EventIngest, metrics: ApiMetrics, history: EventHistory, attempts: AttemptLog): Router {
  const router = Router();

  const scope = (principal: Principal) => (principal.kind === 'tenant' ? principal.tenant : undefined);

  router.get('/', async (req, res) => {
    const query = parseOr400(eventHistoryQuerySchema, req.query);
    res.json({ data: await history.recent({ tenant: scope(res.locals.principal), type: query.type }, query.limit) });
  });

  router.get('/stats', async (_req, res) => {
    res.json({ byType: await history.countsByType(scope(res.locals.principal)) });
  });

  router.get('/:id', async (req, res) => {
    const tenant = scope(res.locals.principal);
    const [event, deliveries] = await Promise.all([history.find(req.params.id), attempts.forEvent(req.params.id)]);
    const visible = (t: string) => tenant === undefined || t === tenant;
    if (event && !visible(event.tenant)) throw new HttpProblem(404, 'Not found', `No event ${req.params.id}`);
    const shown = deliveries.filter((d) => visible(d.tenant));
    if (!event && shown.length === 0) throw new HttpProblem(404, 'Not found', `No recent event ${req.params.id}`);
    res.json({ id: req.params.id, event, deliveries: shown });
  });

  /**
   * Pins a validated event to the caller's tenant (and to the Idempotency-Key header's id, when the
   * body has none), and checks the size of the text that is then stored.
   */
  function acceptEvent(parsed: ParsedEventInput, raw: unknown, principal: Principal, field_?: string, headerId?: string): AcceptedEvent {
    if (isOperationalEventType(parsed.type)) {
      const field = field_ ? `${field_}.type` : 'type';
      throw invalidFields([{ field, message: "is reserved for Herald's own events" }]);
    }
    const tenant = tenantScope(principal, (raw as { tenant?: string }).tenant) ?? parsed.tenant;
    const event = { ...parsed, tenant, ...(parsed.id === undefined && headerId !== undefined ? { id: headerId } : {}) };
    const json = JSON.stringify(event);
    if (Buffer.byteLength(json) > MAX_EVENT_BYTES) {
      throw new HttpProblem(413, 'Payload too large', `${field_ ?? 'The event'} exceeds the limit of ${describeLimit(MAX_EVENT_BYTES)}`);
    }
    return { event, json };
  }

  router.post('/', async (req, res) => {
    const header = parseOr400(idempotencyHeaderSchema, req.get('idempotency-key'), 'Idempotency-Key');
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpProblem(400, 'Invalid request', 'The body must be a JSON object (Content-Type: application/json)', [
        { field: '(body)', message: 'must be a JSON object' },
      ]);
    }
    const [result] = await ingest.ingest([acceptEvent(parseOr400(eventInputSchema, body), body, res.locals.principal, undefined, header)]);
    if (result && !result.duplicate) metrics.eventsIngested.inc({ source: 'http' });
    res.status(202).json(result);
  });

  router.post('/batch', async (req, res) => {
    const batch = parseOr400(eventBatchSchema, req.body);
    const rawEvents = (req.body as { events: unknown[] }).events;
    const events = batch.events.map((event, index) =>
      acceptEvent(event, rawEvents[index], res.locals.principal, `events.${index}`),
    );
    const results = await ingest.ingest(events);
    metrics.eventsIngested.inc({ source: 'http' }, results.filter((r) => !r.duplicate).length);
    res.status(202).json({ events: results });
  });

  return router;
}
