import { Router } from 'express';
import { z } from 'zod';
import {
  type CircuitStatuses,
  type CircuitStatus,
  InvalidWebhookError,
  durationMsSchema,
  filterDocumentSchema,
  numberFromText,
  refusedWebhookTargets,
  tenantSchema,
  timeMsSchema,
  toPublicWebhook,
  type RetryPolicyInput,
  type TargetPolicy,
  webhookCreateObject,
  webhookCreateSchema,
  webhookUpdateSchema,
  type Webhook,
  type WebhookStore,
  type FifoLines,
} from '@herald/shared';
import { HttpProblem, fieldErrors, invalidFields, parseOr400 } from '../problem';
import { tenantScope, type Principal } from '../middleware/auth';
import type { AttemptLog } from '../services/attempt-log';
import type { TestDelivery } from '../services/test-delivery';
import type { DeadLetterReplay } from '../services/dead-letter-replay';
import { PREVIEW_MAX_EVENTS, type FilterPreview } from '../services/filter-preview';
import type { createdWebhookSchema, fifoSkippedSchema, fifoStatusSchema, filterPreviewSchema, publicWebhookSchema, rotatedWebhookSchema, testPendingSchema, testResultSchema, webhookDefaultsSchema, webhookListSchema } from '../schemas/responses';

const DEFAULT_ROTATION_GRACE_MS = 24 * 3_600_000;
export const rotateSecretSchema = z
  .strictObject({
    /** How long the old secret keeps signing, in ms or as "24h". */
    graceMs: durationMsSchema
      .pipe(z.number().int().min(0).max(30 * 86_400_000))
      .default(DEFAULT_ROTATION_GRACE_MS)
      .meta({ description: 'How long the old secret keeps signing beside the new one: default 24 h, at most 30 days; 0 retires it at once.' }),
  })
  .meta({ id: 'RotateSecret' });

export interface WebhookDefaults {
  /** Retry settings a new webhook gets for every field it does not set. */
  retry: RetryPolicyInput;
  timeoutMs?: number;
}

export const webhookListQuerySchema = z.object({
  tenant: tenantSchema.optional().meta({ description: "Only this tenant's webhooks (a tenant token sees only its own anyway)." }),
});

export const deliveriesQuerySchema = z.object({
  outcome: z
    .enum(['success', 'failure', 'retry', 'dead_letter'])
    .optional()
    .meta({ description: 'Only attempts with this outcome; `failure` is `retry` or `dead_letter`.' }),
  eventType: z.string().min(1).optional().meta({ description: 'Only attempts at events of this type.' }),
  since: timeMsSchema.optional().meta({ description: 'Only attempts at or after this time (ISO-8601 or unix ms).' }),
  limit: numberFromText(z.number().int().min(1).max(1000)).default(100).meta({ description: 'At most this many (1–1,000).' }),
  offset: numberFromText(z.number().int().min(0))
    .default(0)
    .meta({ description: 'Where to start in the log: the `nextOffset` of the previous page.' }),
});

export const filterPreviewQuerySchema = z.object({
  last: numberFromText(z.number().int().min(1).max(PREVIEW_MAX_EVENTS))
    .default(100)
    .meta({ description: `How many of the newest events of the webhook's tenant and types to run the filter over (1–${PREVIEW_MAX_EVENTS}).` }),
  filter: z
    .string()
    .optional()
    .meta({ description: "A filter to try instead of the webhook's own filter and eventFilters, as JSON text (URL-encoded); checked as saving would check it." }),
});

export const recoverSchema = z
  .strictObject({
    /** Dead letters of this webhook dead-lettered at or after this time (ISO-8601 or unix ms). */
    since: timeMsSchema.meta({ description: "Replay this webhook's dead letters parked at or after this time (ISO-8601 or unix ms)." }),
    limit: z.number().int().min(1).max(100_000).default(10_000).meta({ description: 'At most this many (1–100,000).' }),
  })
  .meta({ id: 'Recover' });

/**
 * A new webhook's body with the configured defaults (HERALD_RETRY_*, HERALD_DEFAULT_TIMEOUT_MS) where
 * it sets nothing; a retry object it sends is filled in field by field. Anything that is not an
 * object goes to validation as sent.
 */
function withDefaults(body: unknown, defaults: WebhookDefaults): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  const retry = fields.retry;
  return {
    ...(defaults.timeoutMs === undefined ? {} : { timeoutMs: defaults.timeoutMs }),
    ...fields,
    retry: retry === undefined ? defaults.retry : typeof retry === 'object' && retry !== null && !Array.isArray(retry) ? { ...defaults.retry, ...retry } : retry,
  };
}

/** A filter given as JSON text (a query parameter), checked as a saved one is; a 400 naming `filter` otherwise. */
function parseFilterText(text: string) {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalidFields([{ field: 'filter', message: 'is not valid JSON' }]);
  }
  return parseOr400(filterDocumentSchema, document, 'filter');
}

export const fifoSkipSchema = z
  .strictObject({
    key: z.string().max(10_000).optional().meta({ description: "The blocked line: its ordering key's value (as GET /v1/webhooks/{id}/fifo lists it). Leave it out for a webhook without an ordering key." }),
  })
  .meta({ id: 'FifoSkip' });

export interface WebhookServices {
  /** The FIFO lines of a webhook's partition. */
  fifo(webhookId: string): FifoLines;
  attempts: AttemptLog;
  testDelivery: TestDelivery;
  replay: DeadLetterReplay;
  circuits: CircuitStatuses;
  filterPreview: FilterPreview;
}

export function webhooksRouter(
  store: WebhookStore,
  targetPolicy: TargetPolicy,
  defaults: WebhookDefaults,
  services: WebhookServices,
): Router {
  const router = Router();

  /** Names are unique within a tenant: declarative config finds webhooks by them. */
  async function checkNameFree(name: string | null | undefined, tenant: string, exceptId?: string): Promise<void> {
    if (!name) return;
    const taken = (await store.list(tenant)).find((w) => w.name === name && w.id !== exceptId);
    if (taken) throw new HttpProblem(409, 'Conflict', `Tenant ${tenant} already has a webhook named "${name}" (${taken.id})`);
  }

  /**
   * The URL and an OAuth2 token URL: only http(s), https in production, no private or metadata
   * targets unless allowed (docs/reference.md, "Target safety").
   */
  async function checkTargets(webhook: Parameters<typeof refusedWebhookTargets>[0]): Promise<void> {
    const refused = await refusedWebhookTargets(webhook, targetPolicy);
    if (refused.length > 0) throw invalidFields(refused);
  }

  /** A webhook as the API shows it: no secrets, and its circuit now (read, unless known). */
  async function present(webhook: Webhook, circuit?: CircuitStatus): Promise<z.input<typeof publicWebhookSchema>> {
    return { ...toPublicWebhook(webhook), circuit: circuit ?? (await services.circuits.status(webhook.id)) };
  }

  /** The webhook, if it exists and the caller may see it; a 404 otherwise (never a 403 that leaks existence). */
  async function findVisible(id: string, principal: Principal): Promise<Webhook> {
    const webhook = await store.get(id);
    if (!webhook || (principal.kind === 'tenant' && webhook.tenant !== principal.tenant)) {
      throw new HttpProblem(404, 'Not found', `No webhook ${id}`);
    }
    return webhook;
  }

  // What a webhook created with nothing but its URL gets: the schema's defaults under the configured ones.
  const unset = webhookCreateObject.omit({ url: true }).parse(withDefaults({}, defaults));

  router.get('/defaults', (_req, res) => {
    const { events, enabled, method, retry, timeoutMs, includePayload } = unset;
    res.json({
      tenant: tenantScope(res.locals.principal) ?? unset.tenant,
      events, enabled, method, retry, timeoutMs, includePayload,
    } satisfies z.input<typeof webhookDefaultsSchema>);
  });

  router.post('/', async (req, res) => {
    const input = parseOr400(webhookCreateSchema, withDefaults(req.body ?? {}, defaults));
    await checkTargets(input);
    await checkNameFree(input.name, input.tenant);
    const tenant = tenantScope(res.locals.principal, (req.body as { tenant?: string }).tenant) ?? input.tenant;
    const webhook = await store.create({ ...input, tenant });
    // The only response that carries the signing secret.
    res
      .status(201)
      .location(`/v1/webhooks/${webhook.id}`)
      // A new webhook's circuit is closed: nothing has been attempted yet.
      .json({ ...(await present(webhook, { state: 'closed' })), secret: webhook.secret } satisfies z.input<typeof createdWebhookSchema>);
  });

  router.get('/', async (req, res) => {
    const query = parseOr400(webhookListQuerySchema, req.query);
    const tenant = tenantScope(res.locals.principal, query.tenant);
    const webhooks = await store.list(tenant);
    const circuits = await services.circuits.statuses(webhooks.map((w) => w.id));
    const data = await Promise.all(webhooks.map((webhook) => present(webhook, circuits.get(webhook.id))));
    res.json({ data } satisfies z.input<typeof webhookListSchema>);
  });

  router.get('/:id', async (req, res) => {
    res.json(await present(await findVisible(req.params.id, res.locals.principal)));
  });

  router.patch('/:id', async (req, res) => {
    const patch = parseOr400(webhookUpdateSchema, req.body ?? {});
    await checkTargets(patch);
    const existing = await findVisible(req.params.id, res.locals.principal);
    await checkNameFree(patch.name, existing.tenant, existing.id);
    const updated = await store.update(req.params.id, patch).catch((error: unknown) => {
      if (!(error instanceof InvalidWebhookError)) throw error;
      throw invalidFields(fieldErrors(error.validation));
    });
    if (!updated) throw new HttpProblem(404, 'Not found', `No webhook ${req.params.id}`);
    res.json(await present(updated));
  });

  router.post('/:id/rotate-secret', async (req, res) => {
    const { graceMs } = parseOr400(rotateSecretSchema, req.body ?? {});
    await findVisible(req.params.id, res.locals.principal);
    const rotated = await store.rotateSecret(req.params.id, graceMs);
    if (!rotated) throw new HttpProblem(404, 'Not found', `No webhook ${req.params.id}`);
    // Like creation, the only response that shows the (new) secret.
    res.json({
      ...(await present(rotated)),
      secret: rotated.secret,
      previousSecretExpiresAt: rotated.previousSecrets[0] ? new Date(rotated.previousSecrets[0].expiresAt).toISOString() : null,
    } satisfies z.input<typeof rotatedWebhookSchema>);
  });

  router.get('/:id/deliveries', async (req, res) => {
    const query = parseOr400(deliveriesQuerySchema, req.query);
    await findVisible(req.params.id, res.locals.principal);
    const page = await services.attempts.list(
      req.params.id,
      { outcome: query.outcome, eventType: query.eventType, sinceMs: query.since },
      query.limit,
      query.offset,
    );
    res.json(page);
  });

  router.get('/:id/stats', async (req, res) => {
    await findVisible(req.params.id, res.locals.principal);
    res.json(await services.attempts.stats(req.params.id));
  });

  router.get('/:id/filter/preview', async (req, res) => {
    const query = parseOr400(filterPreviewQuerySchema, req.query);
    const webhook = await findVisible(req.params.id, res.locals.principal);
    const result = await services.filterPreview.run(webhook, query.last, query.filter === undefined ? webhook : { filter: parseFilterText(query.filter) });
    res.json(result satisfies z.input<typeof filterPreviewSchema>);
  });

  router.post('/:id/test', async (req, res) => {
    const webhook = await findVisible(req.params.id, res.locals.principal);
    if (!webhook.enabled) throw new HttpProblem(409, 'Conflict', `Webhook ${webhook.id} is disabled; enable it to test it`);
    const { event, attempt } = await services.testDelivery.send(webhook);
    if (!attempt) {
      res.status(202).json({
        eventId: event.id,
        status: 'pending',
        detail: 'No worker reported the attempt in time; see the delivery log',
      } satisfies z.input<typeof testPendingSchema>);
      return;
    }
    res.json({ eventId: event.id, status: attempt.outcome === 'success' ? 'delivered' : 'failed', attempt } satisfies z.input<typeof testResultSchema>);
  });

  router.post('/:id/recover', async (req, res) => {
    const body = parseOr400(recoverSchema, req.body ?? {});
    await findVisible(req.params.id, res.locals.principal);
    res.status(202).json(await services.replay.replayMatching({ webhookId: req.params.id, sinceMs: body.since }, body.limit));
  });

  router.get('/:id/fifo', async (req, res) => {
    const webhook = await findVisible(req.params.id, res.locals.principal);
    const status = await services.fifo(webhook.id).status(webhook.id);
    res.json({
      ordering: webhook.ordering ?? null,
      deliveries: status.deliveries,
      lines: status.lines,
      inFlight: status.inFlight,
      oldestHeadAt: status.oldestHeadMs === undefined ? null : new Date(status.oldestHeadMs).toISOString(),
      blocked: status.blocked,
      blockedLines: status.blockedLines,
    } satisfies z.input<typeof fifoStatusSchema>);
  });

  router.post('/:id/fifo/skip', async (req, res) => {
    const body = parseOr400(fifoSkipSchema, req.body ?? {});
    const webhook = await findVisible(req.params.id, res.locals.principal);
    // A webhook whose ordering was removed may still have blocked lines draining: they can be skipped too.
    if (webhook.ordering?.key && body.key === undefined) throw invalidFields([{ field: 'key', message: `is required: webhook ${webhook.id} orders by ${webhook.ordering.key}` }]);
    const key = body.key ?? '';
    const eventId = await services.fifo(webhook.id).skip(webhook.id, key);
    if (eventId === undefined) throw new HttpProblem(409, 'Conflict', `Line ${JSON.stringify(key)} of webhook ${webhook.id} is not blocked${webhook.ordering ? '' : ' (the webhook has no ordering)'}`);
    res.json({ key, skippedEventId: eventId, deadLetterId: `${eventId}.${webhook.id}` } satisfies z.input<typeof fifoSkippedSchema>);
  });

  router.delete('/:id', async (req, res) => {
    await findVisible(req.params.id, res.locals.principal);
    await store.delete(req.params.id);
    res.status(204).end();
  });

  return router;
}
