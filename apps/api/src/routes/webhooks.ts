import { Router } from 'express';
import { z } from 'zod';
import {
  durationMsSchema,
  refusedTargetUrl,
  toPublicWebhook,
  type RetryPolicyInput,
  type TargetPolicy,
  webhookCreateSchema,
  webhookUpdateSchema,
  type Webhook,
  type WebhookStore,
} from '@herald/shared';
import { HttpProblem, parseOr400 } from '../problem';
import { tenantScope, type Principal } from '../middleware/auth';

const DEFAULT_ROTATION_GRACE_MS = 24 * 3_600_000;
const rotateSchema = z.strictObject({
  /** How long the old secret keeps signing, in ms or as "24h". */
  graceMs: durationMsSchema.pipe(z.number().int().min(0).max(30 * 86_400_000)).default(DEFAULT_ROTATION_GRACE_MS),
});

export interface WebhookDefaults {
  /** Retry settings a new webhook gets for every field it does not set. */
  retry: RetryPolicyInput;
  timeoutMs?: number;
}

export function webhooksRouter(store: WebhookStore, targetPolicy: TargetPolicy, defaults: WebhookDefaults = { retry: {} }): Router {
  const router = Router();

  /** SPEC §5: only http(s), https in production, no private targets unless allowed. */
  async function checkTarget(url: string | undefined): Promise<void> {
    if (url === undefined) return;
    const refused = await refusedTargetUrl(url, targetPolicy);
    if (refused) throw new HttpProblem(400, 'Invalid request', `Invalid field(s): url`, [{ field: 'url', message: refused }]);
  }

  /** The webhook, if it exists and the caller may see it; a 404 otherwise (never a 403 that leaks existence). */
  async function findVisible(id: string, principal: Principal): Promise<Webhook> {
    const webhook = await store.get(id);
    if (!webhook || (principal.kind === 'tenant' && webhook.tenant !== principal.tenant)) {
      throw new HttpProblem(404, 'Not found', `No webhook ${id}`);
    }
    return webhook;
  }

  router.post('/', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const withDefaults =
      typeof body === 'object' && !Array.isArray(body)
        ? {
            ...(defaults.timeoutMs === undefined ? {} : { timeoutMs: defaults.timeoutMs }),
            ...body,
            retry: { ...defaults.retry, ...(typeof body.retry === 'object' && body.retry ? body.retry : {}) },
          }
        : body;
    const input = parseOr400(webhookCreateSchema, withDefaults);
    await checkTarget(input.url);
    const tenant = tenantScope(res.locals.principal, (req.body as { tenant?: string }).tenant) ?? input.tenant;
    const webhook = await store.create({ ...input, tenant });
    // The only response that carries the signing secret.
    res.status(201).location(`/v1/webhooks/${webhook.id}`).json({ ...toPublicWebhook(webhook), secret: webhook.secret });
  });

  router.get('/', async (req, res) => {
    const requested = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    const tenant = tenantScope(res.locals.principal, requested);
    const webhooks = await store.list(tenant);
    res.json({ data: webhooks.map(toPublicWebhook) });
  });

  router.get('/:id', async (req, res) => {
    res.json(toPublicWebhook(await findVisible(req.params.id, res.locals.principal)));
  });

  router.patch('/:id', async (req, res) => {
    const patch = parseOr400(webhookUpdateSchema, req.body ?? {});
    await checkTarget(patch.url);
    await findVisible(req.params.id, res.locals.principal);
    const updated = await store.update(req.params.id, patch);
    if (!updated) throw new HttpProblem(404, 'Not found', `No webhook ${req.params.id}`);
    res.json(toPublicWebhook(updated));
  });

  router.post('/:id/rotate-secret', async (req, res) => {
    const { graceMs } = parseOr400(rotateSchema, req.body ?? {});
    await findVisible(req.params.id, res.locals.principal);
    const rotated = await store.rotateSecret(req.params.id, graceMs);
    if (!rotated) throw new HttpProblem(404, 'Not found', `No webhook ${req.params.id}`);
    // Like creation, the only response that shows the (new) secret.
    res.json({
      ...toPublicWebhook(rotated),
      secret: rotated.secret,
      previousSecretExpiresAt: rotated.previousSecrets[0] ? new Date(rotated.previousSecrets[0].expiresAt).toISOString() : null,
    });
  });

  router.delete('/:id', async (req, res) => {
    await findVisible(req.params.id, res.locals.principal);
    await store.delete(req.params.id);
    res.status(204).end();
  });

  return router;
}
