import { Router } from 'express';
import { z } from 'zod';
import { decodeCursor, encodeCursor, eventTypeSchema, numberFromText, timeMsSchema, type DeadLetter, type DeadLetterStore } from '@herald/shared';
import type { DeadLetterReplay } from '../services/dead-letter-replay';
import { HttpProblem, parseOr400 } from '../problem';
import type { Principal } from '../middleware/auth';
import type { AttemptLog } from '../services/attempt-log';

const filterShape = {
  webhookId: z.string().min(1).optional().meta({ description: 'Only dead letters of this webhook.' }),
  type: eventTypeSchema.optional().meta({ description: 'Only dead letters of events of this type.' }),
  /** Dead-lettered at or after (ISO-8601 or unix ms). */
  since: timeMsSchema.optional().meta({ description: 'Dead-lettered at or after this time (ISO-8601 or unix ms).' }),
  /** Dead-lettered before (ISO-8601 or unix ms). */
  before: timeMsSchema.optional().meta({ description: 'Dead-lettered before this time (ISO-8601 or unix ms).' }),
};

export const deadLetterListQuerySchema = z.object({
  ...filterShape,
  limit: numberFromText(z.number().int().min(1).max(1000)).default(100).meta({ description: 'At most this many (1–1,000).' }),
  /** The `next` of the previous page. */
  cursor: z
    .string()
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return cursor ?? undefined;
    })
    .optional()
    .meta({ description: 'The `next` of the previous page, to read the page after it.' }),
});

export const replayBodySchema = z
  .union(
    [
      z
        .strictObject({
          ids: z.array(z.string().min(1)).min(1).max(10_000).meta({ description: 'Dead letter ids (1–10,000); ids not found are reported as skipped.' }),
        })
        .meta({ id: 'ReplayByIds' }),
      z
        .strictObject({
          ...filterShape,
          limit: z.number().int().min(1).max(100_000).default(10_000).meta({ description: 'At most this many (1–100,000).' }),
        })
        .meta({
          id: 'ReplayByFilter',
          description: 'Every dead letter matching the filter that was parked before this call (an empty filter: all of them).',
        }),
    ],
    { error: 'must be { "ids": [...] } or a filter { webhookId?, type?, since?, before?, limit? }' },
  )
  .meta({ id: 'Replay' });

function visibleTo(principal: Principal, deadLetter: DeadLetter): boolean {
  return principal.kind === 'admin' || deadLetter.tenant === principal.tenant;
}

export function deadLettersRouter(store: DeadLetterStore, replay: DeadLetterReplay, attemptLog: AttemptLog): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseOr400(deadLetterListQuerySchema, req.query);
    const principal = res.locals.principal;
    const page = await store.list(
      {
        webhookId: query.webhookId,
        type: query.type,
        sinceMs: query.since,
        beforeMs: query.before,
        tenant: principal.kind === 'tenant' ? principal.tenant : undefined,
      },
      query.limit,
      query.cursor,
    );
    res.json({ data: page.data, next: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/:id', async (req, res) => {
    const deadLetter = await store.get(req.params.id);
    if (!deadLetter || !visibleTo(res.locals.principal, deadLetter)) throw new HttpProblem(404, 'Not found', `No dead letter ${req.params.id}`);
    const attempts = (await attemptLog.forEvent(deadLetter.event.id)).filter((a) => a.deliveryId === deadLetter.id);
    res.json({ ...deadLetter, attemptLog: attempts });
  });

  router.post('/replay', async (req, res) => {
    const body = parseOr400(replayBodySchema, req.body ?? {});
    const principal = res.locals.principal;
    if ('ids' in body) {
      res.status(202).json(await replay.replayIds(body.ids, (d) => visibleTo(principal, d)));
      return;
    }
    const result = await replay.replayMatching(
      {
        webhookId: body.webhookId,
        type: body.type,
        sinceMs: body.since,
        beforeMs: body.before,
        tenant: principal.kind === 'tenant' ? principal.tenant : undefined,
      },
      body.limit,
    );
    res.status(202).json(result);
  });

  router.delete('/:id', async (req, res) => {
    const deadLetter = await store.get(req.params.id);
    if (!deadLetter || !visibleTo(res.locals.principal, deadLetter)) throw new HttpProblem(404, 'Not found', `No dead letter ${req.params.id}`);
    await store.remove([deadLetter]);
    res.status(204).end();
  });

  return router;
}
