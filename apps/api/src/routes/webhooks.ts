import { Router } from 'express';
import {
  toPublicWebhook,
  webhookCreateSchema,
  webhookUpdateSchema,
  type Webhook,
  type WebhookStore,
} from '@herald/shared';
import { HttpProblem, parseOr400 } from '../problem';
import { tenantScope, type Principal } from '../middleware/auth';

export function webhooksRouter(store: WebhookStore): Router {
  const router = Router();

  /** The webhook, if it exists and the caller may see it; a 404 otherwise (never a 403 that leaks existence). */
  async function findVisible(id: string, principal: Principal): Promise<Webhook> {
    const webhook = await store.get(id);
    if (!webhook || (principal.kind === 'tenant' && webhook.tenant !== principal.tenant)) {
      throw new HttpProblem(404, 'Not found', `No webhook ${id}`);
    }
    return webhook;
  }

  router.post('/', async (req, res) => {
    const input = parseOr400(webhookCreateSchema, req.body ?? {});
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
    await findVisible(req.params.id, res.locals.principal);
    const updated = await store.update(req.params.id, patch);
    if (!updated) throw new HttpProblem(404, 'Not found', `No webhook ${req.params.id}`);
    res.json(toPublicWebhook(updated));
  });

  router.delete('/:id', async (req, res) => {
    await findVisible(req.params.id, res.locals.principal);
    await store.delete(req.params.id);
    res.status(204).end();
  });

  return router;
}
