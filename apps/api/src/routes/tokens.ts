import { Router } from 'express';
import { z } from 'zod';
import { tenantSchema, type TokenStore } from '@herald/shared';
import { HttpProblem, parseOr400 } from '../problem';

export const createTokenSchema = z
  .strictObject({
    tenant: tenantSchema,
    description: z.string().max(500).optional().meta({ description: 'Free text, at most 500 characters.' }),
  })
  .meta({ id: 'TokenCreate' });

/** Tenant API tokens (admin only): create (the token is shown once), list, revoke. */
export function tokensRouter(store: TokenStore): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parseOr400(createTokenSchema, req.body ?? {});
    res.status(201).json(await store.create(body.tenant, body.description));
  });
  router.get('/', async (_req, res) => {
    res.json({ data: await store.list() });
  });
  router.delete('/:id', async (req, res) => {
    if (!(await store.revoke(req.params.id))) throw new HttpProblem(404, 'Not found', `No token ${req.params.id}`);
    res.status(204).end();
  });
  return router;
}
