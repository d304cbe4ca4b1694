// Herald API process: wires configuration, Redis and the Express app, listens, drains on SIGTERM.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import {
  ConfigError,
  DeadLetterStore,
  PartitionLayout,
  SystemGauges,
  WebhookStore,
  createBullMQConnection,
  createDeliveryQueue,
  createLogger,
  createRedis,
  waitUntilConnected,
  redisTargetFromEnv,
  EventsStream,
  parseConfigFile,
  ensurePartitionCount,
  partitionCountFromEnv,
  placedWebhookIds,
  targetPolicyFromEnv,
  secretBoxFromEnv,
} from '@herald/shared';
import { applyConfig, ConfigApplyError } from './services/config-apply';
import { loadApiEnv } from './env';
import { createApiMetrics } from './metrics';
import { createServer } from './server';
import { StorageGuard } from './services/storage-guard';
import { DeliveryQueues } from './services/delivery-queues';

/**
 * Idle keep-alive connections stay open `keepAliveMs` (Node says so in `Keep-Alive: timeout=…`).
 * The headers of a request on such a connection may take a moment longer: were headersTimeout
 * shorter, a request arriving just before the idle timeout could be cut off halfway instead.
 * Requests as a whole get at least Node's 5 minutes, and never less than their headers.
 */
function keepConnectionsAlive(server: Server, keepAliveMs: number): void {
  server.keepAliveTimeout = keepAliveMs;
  server.headersTimeout = keepAliveMs + 1000;
  server.requestTimeout = Math.max(server.requestTimeout, server.headersTimeout + 1000);
}

/** How long the API waits for Redis at start before giving up (it exits 1, saying so). */
const STARTUP_WAIT_MS = 15_000;
/** How often the API reads Redis's memory, to refuse new events past the high-water mark. */
const STORAGE_CHECK_EVERY_MS = 1000;

async function main(): Promise<void> {
  const env = loadApiEnv();
  const logger = createLogger({ name: 'herald-api', level: env.LOG_LEVEL });
  const layout = new PartitionLayout(env.HERALD_PREFIX, partitionCountFromEnv(env));
  const redisTarget = redisTargetFromEnv(env);
  // Requests fail (503) rather than hang while Redis is unreachable: a deadline on every command
  // for a Redis that holds the connection but does not answer, and no queue of commands while the
  // connection is down (a command queued then would run once Redis is back, after its request was
  // answered 503: an event refused, then published after all). A command already sent to a Redis
  // that stopped answering may still run when it wakes: that is why producers that retry a 503
  // send an `id`. The queue's connection is bounded alike: the API never blocks on it.
  const bounded = { maxRetriesPerRequest: 2, commandTimeout: env.HERALD_REDIS_COMMAND_TIMEOUT_MS, enableOfflineQueue: false };
  const redis = createRedis(redisTarget, bounded);
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  const queueConnection = createBullMQConnection(redisTarget, bounded);
  await Promise.all([waitUntilConnected(redis, STARTUP_WAIT_MS), waitUntilConnected(queueConnection, STARTUP_WAIT_MS)]);
  await ensurePartitionCount(redis, layout);
  const queues = new DeliveryQueues(
    layout,
    layout.all().map((n) => createDeliveryQueue(queueConnection, layout.keys(n).bullPrefix)),
  );
  for (const queue of queues.all) queue.on('error', (error) => logger.warn({ err: error.message }, 'delivery queue error'));

  await Promise.all(layout.all().map((n) => new EventsStream(redis, layout.keys(n)).ensureGroup()));
  const secrets = secretBoxFromEnv(env);
  if (!secrets.encrypts && env.NODE_ENV === 'production') {
    logger.warn('HERALD_ENCRYPTION_KEY is not set: signing secrets and credentials are stored in Redis in plain text (docs/reference.md, "Secrets at rest")');
  }
  // Dead letters parked before the per-webhook and per-tenant indexes existed are indexed once, in
  // the background; listings use the index of all dead letters until that is done.
  void new DeadLetterStore(redis, layout)
    .buildIndexes()
    .then((indexed) => indexed > 0 && logger.info({ indexed }, 'dead letters indexed by webhook and tenant'))
    .catch((error: Error) => logger.warn({ err: error.message }, 'indexing dead letters failed; retried at the next start'));

  if (env.HERALD_CONFIG) {
    // Declarative webhooks: a bad file stops the API here, saying what is wrong.
    const config = parseConfigFile(readFileSync(env.HERALD_CONFIG, 'utf8'), process.env, env.HERALD_CONFIG);
    // The secrets of webhooks created here are not logged: rotate-secret shows a new one.
    const store = new WebhookStore(redis, layout.global, {
      secrets,
      keysOfWebhook: (id) => layout.keys(layout.ofWebhook(id)),
      newId: placedWebhookIds(redis, layout),
    });
    const { secrets: _secrets, ...applied } = await applyConfig(store, config, targetPolicyFromEnv(env));
    logger.info({ config: env.HERALD_CONFIG, ...applied }, 'declarative configuration applied');
  }

  const metrics = createApiMetrics();
  const storage = new StorageGuard({ redis, logger }, { highWater: env.HERALD_REDIS_MEMORY_HIGH_WATER, intervalMs: STORAGE_CHECK_EVERY_MS });
  await storage.start();
  const app = createServer({
    redis,
    layout,
    queues,
    logger,
    metrics,
    adminToken: env.HERALD_ADMIN_TOKEN,
    targetPolicy: targetPolicyFromEnv(env),
    secrets,
    webhookDefaults: {
      retry: env.retryDefaults,
      ...(env.HERALD_DEFAULT_TIMEOUT_MS === undefined ? {} : { timeoutMs: env.HERALD_DEFAULT_TIMEOUT_MS }),
    },
    tenantTokens: env.HERALD_TENANT_TOKENS,
    streamMaxLen: env.HERALD_STREAM_MAXLEN,
    idempotencyTtlSeconds: env.HERALD_IDEMPOTENCY_TTL_SECONDS,
    storage,
  });
  const gauges = new SystemGauges(
    { registry: metrics.registry, redis, layout, queues: queues.all },
    { intervalMs: env.HERALD_METRICS_INTERVAL_MS, streamLagLimit: env.HERALD_STREAM_MAXLEN },
  );
  await gauges.start();
  const server = app.listen(env.HERALD_API_PORT, env.HERALD_API_HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.HERALD_API_PORT;
    logger.info({ port, prefix: env.HERALD_PREFIX, partitions: layout.count }, 'herald api listening');
  });
  keepConnectionsAlive(server, env.HERALD_HTTP_KEEPALIVE_TIMEOUT_MS);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'herald api stopping');
    await gauges.stop();
    storage.stop();
    // New connections are refused at once; requests in flight (a POST …/test waiting on its
    // endpoint, say) get until the deadline, then their connections are cut.
    let drained = true;
    const deadline = setTimeout(() => {
      drained = false;
      logger.warn({ timeoutMs: env.HERALD_SHUTDOWN_TIMEOUT_MS }, 'drain deadline passed; closing the connections still open');
      server.closeAllConnections();
    }, env.HERALD_SHUTDOWN_TIMEOUT_MS);
    // A keep-alive connection whose response is out would hold the close until the client's
    // keep-alive ran out: idle ones are closed as they appear, nothing is added per request.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(sweep);
    clearTimeout(deadline);
    // Closing the Redis connections waits for Redis; it gets a moment, not forever.
    const closed = Promise.all([queues.close(), redis.quit()]).catch(() => undefined);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    logger.info({ drained }, 'herald api stopped');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ConfigApplyError) {
    process.stderr.write(`herald api refused to start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`herald api failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
