import { Router } from 'express';
import type { Registry } from 'prom-client';
import { RedisProbe, type RedisClient } from '@herald/shared';

/** Liveness, readiness (Redis answers PING in time, or why not) and the Prometheus scrape; no auth. */
export function healthRouter(redis: RedisClient, registry: Registry): Router {
  const router = Router();
  const probe = new RedisProbe(redis);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await probe.ping(1000);
      res.json({ status: 'ready', redis: 'ok' });
    } catch (error) {
      res.status(503).json({ status: 'unavailable', redis: (error as Error).message });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
