import { Router } from 'express';
import type { WebhookStore } from '@herald/shared';
import type { ReencryptResult } from '../schemas/responses';

/** POST /v1/secrets/reencrypt (admin): every stored secret rewritten under HERALD_ENCRYPTION_KEY. */
export function secretsRouter(store: WebhookStore): Router {
  const router = Router();
  router.post('/reencrypt', async (_req, res) => {
    const { rewritten, unreadable } = await store.reencrypt();
    res.json({ rewritten, unreadable } satisfies ReencryptResult);
  });
  return router;
}
