// Herald worker process: fan-out with direct delivery, and the delivery queue for what must wait.
// Run as many as load needs.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  PartitionLayout,
  SystemGauges,
  WebhookStore,
  createBullMQConnection,
  createDeliveryQueue,
  createLogger,
  createRedis,
  ensurePartitionCount,
  partitionCountFromEnv,
  redisTargetFromEnv,
  targetPolicyFromEnv,
  secretBoxFromEnv,
} from '@herald/shared';
import { loadWorkerEnv } from './env';
import { createWorkerMetrics } from './metrics';
import { WebhookRegistry } from './webhooks/webhook-registry';
import { WebhookDocuments } from './webhooks/webhook-documents';
import { WebhookFilters } from './webhooks/webhook-filters';
import { HttpClient } from './attempt/http-client';
import { USER_AGENT } from './attempt/request-builder';
import { OAuth2Tokens } from './oauth2/oauth2-tokens';
import { HealthServer } from './health-server';
import { Supervisor } from './supervisor';
import { DeliverySlots } from './policies/delivery-slots';
import { FifoGauges } from './fifo/fifo-gauges';
import { PartitionCells } from './partitions/partition-cells';

/** How long a worker uses a webhook's document before reading it again, whatever the routes say (a hand edit shows in none). */
const WEBHOOK_DOCUMENT_MAX_AGE_MS = 5 * 60_000;

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const logger = createLogger({ name: 'herald-worker', level: env.LOG_LEVEL });
  const layout = new PartitionLayout(env.HERALD_PREFIX, partitionCountFromEnv(env));
  const redisTarget = redisTargetFromEnv(env);
  const redis = createRedis(redisTarget);
  const workerConnection = createBullMQConnection(redisTarget);
  const queueConnection = createBullMQConnection(redisTarget);
  for (const connection of [redis, workerConnection, queueConnection]) {
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  }
  await ensurePartitionCount(redis, layout);

  const metrics = createWorkerMetrics();
  const secrets = secretBoxFromEnv(env);
  const webhookStore = new WebhookStore(redis, layout.global, { secrets, keysOfWebhook: (id) => layout.keys(layout.ofWebhook(id)) });
  const webhooks = new WebhookRegistry(webhookStore, logger);
  const documents = new WebhookDocuments(webhookStore, logger, { size: env.HERALD_WEBHOOK_DOCUMENTS_KEPT, maxAgeMs: WEBHOOK_DOCUMENT_MAX_AGE_MS });
  const proxy = env.HERALD_EGRESS_PROXY ? { url: env.HERALD_EGRESS_PROXY, noProxy: env.HERALD_NO_PROXY } : undefined;
  const http = new HttpClient(targetPolicyFromEnv(env), { proxy, connectionsPerWebhook: env.HERALD_WEBHOOK_MAX_IN_FLIGHT });
  // OAuth2 tokens are installation-wide: cached under the global keys, whatever partition asks.
  const tokens = new OAuth2Tokens({ redis, keys: layout.global, http, secrets, logger, userAgent: USER_AGENT });
  const slots = new DeliverySlots({
    capacity: env.HERALD_WORKER_CONCURRENCY,
    webhookCap: env.HERALD_WEBHOOK_MAX_IN_FLIGHT,
    waitMs: env.HERALD_SLOT_WAIT_MS,
  });
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cells = new PartitionCells(
    { env, layout, redisTarget, redis, workerConnection, queueConnection, webhookStore, webhooks, documents, filters: new WebhookFilters(), http, tokens, slots, metrics, logger,
      fifoGauges: new FifoGauges(metrics.registry, env.HERALD_FIFO_METRIC_WEBHOOKS) },
    redis,
    consumer,
  );

  const health = new HealthServer(redis, metrics.registry, logger, env.HERALD_METRICS_HOST, env.HERALD_METRICS_PORT);
  // The gauges read every partition's queue (objects on the shared connection, not connections).
  const gaugeQueues = layout.all().map((n) => createDeliveryQueue(queueConnection, layout.keys(n).bullPrefix));
  const gauges = new SystemGauges(
    { registry: metrics.registry, redis, layout, queues: gaugeQueues },
    { intervalMs: env.HERALD_METRICS_INTERVAL_MS, streamLagLimit: env.HERALD_STREAM_MAXLEN },
  );
  const supervisor = new Supervisor([health, gauges, webhooks, cells], logger);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'herald worker draining');
    health.setReady(false);
    // Take no new jobs while the fan-out finishes what it has started.
    await cells.stopIntake().catch((error: Error) => logger.warn({ err: error.message }, 'could not pause the delivery worker'));
    const drained = await supervisor.stop(env.HERALD_SHUTDOWN_TIMEOUT_MS);
    if (!drained) {
      // Deliveries still in flight keep their entries pending and their jobs locked; another worker
      // claims the entries, and runs the jobs once their locks expire.
      logger.warn({ timeoutMs: env.HERALD_SHUTDOWN_TIMEOUT_MS }, 'drain deadline passed; in-flight deliveries will be retried elsewhere');
      process.exit(1);
    }
    slots.close();
    await Promise.all(gaugeQueues.map((queue) => queue.close())).catch(() => undefined);
    await http.close().catch(() => undefined);
    for (const connection of [redis, workerConnection, queueConnection]) connection.disconnect();
    logger.info({ drained }, 'herald worker stopped');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await supervisor.start();
  health.setReady(true);
  logger.info(
    {
      consumer,
      concurrency: env.HERALD_WORKER_CONCURRENCY,
      webhookMaxInFlight: env.HERALD_WEBHOOK_MAX_IN_FLIGHT,
      prefix: env.HERALD_PREFIX,
      partitions: layout.count,
      held: cells.held,
    },
    'herald worker running',
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`herald worker failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
