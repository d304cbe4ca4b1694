import { Router } from 'express';
import { dropCachedTokens, type RedisClient, type RedisKeys, type WebhookStore } from '@herald/shared';
import type { ReencryptResult } from '../schemas/responses';

/**
 * POST /v1/secrets/reencrypt (admin): every webhook's secrets rewritten under HERALD_ENCRYPTION_KEY,
 * and the cached OAuth2 tokens dropped (the workers fetch new ones).
 */
export function secretsRouter(deps: { store: WebhookStore; redis: RedisClient; keys: RedisKeys }): Router {
  const router = Router();
  router.post('/reencrypt', async (_req, res) => {
    const { rewritten, unreadable } = await deps.store.reencrypt();
    const cachedTokensDropped = await dropCachedTokens(deps.redis, deps.keys);
    res.json({ rewritten, unreadable, cachedTokensDropped } satisfies ReencryptResult);
  });
  return router;
}
