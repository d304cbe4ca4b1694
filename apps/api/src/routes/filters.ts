// Trying a filter on an event before it goes live: POST /v1/filters/test.
import { Router } from 'express';
import { z } from 'zod';
import { compileFilter, filterDocumentSchema } from '@herald/shared';
import { parseOr400 } from '../problem';
import type { filterTestResultSchema } from '../schemas/responses';

/** An event as a filter sees it, which is also the default body of a delivery. Every field may be left out. */
export const filterEnvelopeSchema = z
  .strictObject({
    id: z.string().optional(),
    type: z.string().optional(),
    tenant: z.string().optional(),
    timestamp: z.string().optional().meta({ description: 'When it happened, ISO-8601 (the `occurredAt` it was published with).' }),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({
    id: 'FilterEnvelope',
    description: 'An event as a filter sees it, as deliveries carry it: `{ id, type, tenant, timestamp, data }`. A delivered body pasted here works as it is.',
    example: { type: 'order.paid', tenant: 'acme', timestamp: '2026-03-01T12:00:00Z', data: { amount: 50 } },
  });

export const filterTestSchema = z
  .strictObject({
    filter: filterDocumentSchema,
    event: filterEnvelopeSchema,
  })
  .meta({ id: 'FilterTest' });

export function filtersRouter(): Router {
  const router = Router();

  router.post('/test', (req, res) => {
    const { filter, event } = parseOr400(filterTestSchema, req.body ?? {});
    const failed = compileFilter(filter).explain(event);
    res.json((failed === undefined ? { matched: true } : { matched: false, failed }) satisfies z.input<typeof filterTestResultSchema>);
  });

  return router;
}
