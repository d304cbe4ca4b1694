import { Router } from 'express';
import { configFileSchema, type TargetPolicy, type WebhookStore } from '@herald/shared';
import { HttpProblem, parseOr400 } from '../problem';
import { applyConfig, ConfigApplyError } from '../services/config-apply';

/** POST /v1/config/apply (admin): declarative webhooks, `?dryRun=true` to see what would change. */
export function configRouter(store: WebhookStore, policy: TargetPolicy): Router {
  const router = Router();
  router.post('/apply', async (req, res) => {
    const config = parseOr400(configFileSchema, req.body ?? {});
    try {
      res.json({ dryRun: req.query.dryRun === 'true', ...(await applyConfig(store, config, policy, req.query.dryRun === 'true')) });
    } catch (error) {
      if (error instanceof ConfigApplyError) {
        throw new HttpProblem(400, 'Invalid request', error.message, error.problems);
      }
      throw error;
    }
  });
  return router;
}
