// Herald API process: wires configuration, Redis and the Express app, listens, drains on SIGTERM.
import { createDeliveryQueue, createLogger, createRedis, ensureFanoutGroup, redisKeys, targetPolicyFromEnv } from '@herald/shared';
import { loadApiEnv } from './env';
import { createApiMetrics } from './metrics';
import { createServer } from './server';

async function main(): Promise<void> {
  const env = loadApiEnv();
  const logger = createLogger({ name: 'herald-api', level: env.LOG_LEVEL });
  const keys = redisKeys(env.HERALD_PREFIX);
  // Requests fail (503) rather than hang while Redis is unreachable; the queue connection waits it out.
  const redis = createRedis(env.REDIS_URL, { maxRetriesPerRequest: 2 });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  const deliveryQueue = createDeliveryQueue(createRedis(env.REDIS_URL), env.HERALD_PREFIX);
  deliveryQueue.on('error', (error) => logger.warn({ err: error.message }, 'delivery queue error'));

  await ensureFanoutGroup(redis, keys);

  const app = createServer({
    redis,
    keys,
    deliveryQueue,
    logger,
    metrics: createApiMetrics(),
    adminToken: env.HERALD_ADMIN_TOKEN,
    targetPolicy: targetPolicyFromEnv(env),
    webhookDefaults: {
      retry: env.retryDefaults,
      ...(env.HERALD_DEFAULT_TIMEOUT_MS === undefined ? {} : { timeoutMs: env.HERALD_DEFAULT_TIMEOUT_MS }),
    },
    tenantTokens: env.HERALD_TENANT_TOKENS,
    streamMaxLen: env.HERALD_STREAM_MAXLEN,
    idempotencyTtlSeconds: env.HERALD_IDEMPOTENCY_TTL_SECONDS,
  });
  const server = app.listen(env.HERALD_API_PORT, env.HERALD_API_HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.HERALD_API_PORT;
    logger.info({ port, prefix: env.HERALD_PREFIX }, 'herald api listening');
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'herald api stopping');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await deliveryQueue.close();
    await redis.quit();
    logger.info('herald api stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`herald api failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
