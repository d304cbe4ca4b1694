// Herald worker process: fan-out consumer + delivery worker. Run as many as load needs.
import {
  SystemGauges,
  WebhookStore,
  createBullMQConnection,
  createDeliveryQueue,
  createLogger,
  createRedis,
  redisTargetFromEnv,
  redisKeys,
  targetPolicyFromEnv,
} from '@herald/shared';
import { loadWorkerEnv } from './env';
import { createWorkerMetrics } from './metrics';
import { WebhookCache } from './webhook-cache';
import { FanoutConsumer } from './fanout/fanout-consumer';
import { HttpClient } from './delivery/http-client';
import { AttemptRecorder } from './delivery/attempt-recorder';
import { DeliveryProcessor } from './delivery/processor';
import { DeliveryWorker } from './delivery/delivery-worker';
import { HealthServer } from './health-server';
import { Supervisor } from './supervisor';
import { DeliveryPolicies } from './policies/delivery-policies';
import { OperationalEvents } from './policies/operational-events';

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const logger = createLogger({ name: 'herald-worker', level: env.LOG_LEVEL });
  const keys = redisKeys(env.HERALD_PREFIX);
  const redisTarget = redisTargetFromEnv(env);
  const redis = createRedis(redisTarget);
  const blocking = createRedis(redisTarget);
  const workerConnection = createBullMQConnection(redisTarget);
  const queueConnection = createBullMQConnection(redisTarget);
  for (const connection of [redis, blocking, workerConnection, queueConnection]) {
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  }

  const metrics = createWorkerMetrics();
  const webhookStore = new WebhookStore(redis, keys);
  const webhooks = new WebhookCache(webhookStore);
  const queue = createDeliveryQueue(queueConnection, env.HERALD_PREFIX);
  queue.on('error', (error) => logger.warn({ err: error.message }, 'delivery queue error'));
  const http = new HttpClient(targetPolicyFromEnv(env));
  const policies = new DeliveryPolicies(redis, keys, {
    failureThreshold: env.HERALD_CIRCUIT_FAILURE_THRESHOLD,
    cooldownMs: env.HERALD_CIRCUIT_COOLDOWN_MS,
    disableAfterMs: env.HERALD_DISABLE_AFTER_FAILING_MS,
    probeLeaseMs: 15_000,
  });
  const events = new OperationalEvents(redis, keys, env.HERALD_STREAM_MAXLEN, logger);
  const recorder = new AttemptRecorder(redis, keys, policies, {
    logSize: env.HERALD_ATTEMPT_LOG_SIZE,
    eventAttemptsTtlMs: env.HERALD_EVENT_ATTEMPTS_TTL,
  });
  const processor = new DeliveryProcessor({
    webhooks,
    webhookStore,
    http,
    recorder,
    metrics,
    logger,
    webhookCacheMs: env.HERALD_WEBHOOK_CACHE_MS,
    policies,
    events,
    rateLimitEventWindowMs: env.HERALD_RATE_LIMIT_EVENT_WINDOW_MS,
  });

  const health = new HealthServer(redis, metrics.registry, logger, env.HERALD_METRICS_HOST, env.HERALD_METRICS_PORT);
  const delivery = new DeliveryWorker(workerConnection, processor, recorder, metrics, logger, {
    prefix: env.HERALD_PREFIX,
    concurrency: env.HERALD_WORKER_CONCURRENCY,
    lockDurationMs: env.HERALD_JOB_LOCK_MS,
  });
  const fanout = new FanoutConsumer(blocking, redis, keys, queue, webhooks, metrics, logger, {
    batchSize: env.HERALD_FANOUT_BATCH,
    claimIdleMs: env.HERALD_CLAIM_IDLE_MS,
    idempotencyTtlSeconds: env.HERALD_IDEMPOTENCY_TTL_SECONDS,
  });
  const gauges = new SystemGauges(metrics.registry, redis, keys, queue, env.HERALD_METRICS_INTERVAL_MS);
  const supervisor = new Supervisor([health, gauges, delivery, fanout], logger);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'herald worker draining');
    health.setReady(false);
    const drained = await supervisor.stop(env.HERALD_SHUTDOWN_TIMEOUT_MS);
    if (!drained) {
      // Deliveries still in flight keep their jobs locked until the lock expires; another worker then runs them.
      logger.warn({ timeoutMs: env.HERALD_SHUTDOWN_TIMEOUT_MS }, 'drain deadline passed; in-flight deliveries will be retried elsewhere');
      process.exit(1);
    }
    await queue.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    for (const connection of [redis, blocking, workerConnection, queueConnection]) connection.disconnect();
    logger.info({ drained }, 'herald worker stopped');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await supervisor.start();
  health.setReady(true);
  logger.info(
    { consumer: fanout.consumer, concurrency: env.HERALD_WORKER_CONCURRENCY, prefix: env.HERALD_PREFIX },
    'herald worker running',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`herald worker failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
