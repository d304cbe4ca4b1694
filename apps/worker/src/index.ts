// Herald worker process: fan-out with direct delivery, and the delivery queue for what must wait.
// Run as many as load needs.
import {
  CircuitBreaker,
  EventsStream,
  ParkingLot,
  PayloadStore,
  SystemGauges,
  WebhookStore,
  createBullMQConnection,
  createDeliveryQueue,
  createLogger,
  createRedis,
  redisTargetFromEnv,
  redisKeys,
  targetPolicyFromEnv,
  secretBoxFromEnv,
} from '@herald/shared';
import { loadWorkerEnv } from './env';
import { createWorkerMetrics } from './metrics';
import { WebhookRegistry } from './webhooks/webhook-registry';
import { WebhookDocuments } from './webhooks/webhook-documents';
import { WebhookFilters } from './webhooks/webhook-filters';
import { FanoutConsumer } from './stream/fanout-consumer';
import { StreamTrimmer } from './stream/stream-trimmer';
import { ParkingReleaser } from './parking/parking-releaser';
import { HttpClient } from './attempt/http-client';
import { USER_AGENT } from './attempt/request-builder';
import { OAuth2Tokens } from './oauth2/oauth2-tokens';
import { Settler } from './settle/settler';
import { AttemptEffects } from './run/attempt-effects';
import { DirectDelivery } from './run/direct-delivery';
import { DeliveryProcessor } from './run/processor';
import { DeliveryWorker } from './run/delivery-worker';
import { HealthServer } from './health-server';
import { Supervisor } from './supervisor';
import { DeliveryPolicies } from './policies/delivery-policies';
import { DeliverySlots } from './policies/delivery-slots';
import { OperationalEvents } from './policies/operational-events';

/** Attempts kept in each event's own list (over all its webhooks). */
const EVENT_ATTEMPTS_KEPT = 200;
/**
 * How long the markers of deliveries settled from a pending entry are kept: long past any claim
 * delay, so that an entry claimed after a long outage still skips what was settled.
 */
const SETTLED_MARKER_TTL_MS = 86_400_000;
/** How long a worker uses a webhook's document before reading it again, whatever the routes say (a hand edit shows in none). */
const WEBHOOK_DOCUMENT_MAX_AGE_MS = 5 * 60_000;
/** How often each worker looks for parked deliveries its webhooks' circuits let go. */
const PARKING_RELEASE_EVERY_MS = 250;
/** Parked deliveries of one webhook queued at a time. */
const PARKING_RELEASE_BATCH = 500;
/** Jobs waiting in the queue past which no more parked deliveries are queued until they are taken. */
const PARKING_RELEASE_MAX_WAITING = 2000;
/** How often each worker trims the events stream (only what the workers have read and acknowledged). */
const STREAM_TRIM_EVERY_MS = 1000;

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
  const secrets = secretBoxFromEnv(env);
  const webhookStore = new WebhookStore(redis, keys, { secrets });
  const webhooks = new WebhookRegistry(webhookStore, logger);
  const documents = new WebhookDocuments(webhookStore, logger, { size: env.HERALD_WEBHOOK_DOCUMENTS_KEPT, maxAgeMs: WEBHOOK_DOCUMENT_MAX_AGE_MS });
  const queue = createDeliveryQueue(queueConnection, env.HERALD_PREFIX);
  queue.on('error', (error) => logger.warn({ err: error.message }, 'delivery queue error'));
  const proxy = env.HERALD_EGRESS_PROXY ? { url: env.HERALD_EGRESS_PROXY, noProxy: env.HERALD_NO_PROXY } : undefined;
  const http = new HttpClient(targetPolicyFromEnv(env), { proxy, connectionsPerWebhook: env.HERALD_WEBHOOK_MAX_IN_FLIGHT });
  // Spread: deliveries held together must not all come back at the same instant.
  const heldDelayMs = () => env.HERALD_EGRESS_RETRY_MS + Math.floor(Math.random() * Math.min(10_000, env.HERALD_EGRESS_RETRY_MS));
  const tokens = new OAuth2Tokens({ redis, keys, http, secrets, logger, userAgent: USER_AGENT });
  const policies = new DeliveryPolicies(redis, keys, {
    failureThreshold: env.HERALD_CIRCUIT_FAILURE_THRESHOLD,
    cooldownMs: env.HERALD_CIRCUIT_COOLDOWN_MS,
    probeLeaseMs: env.HERALD_CIRCUIT_PROBE_LEASE_MS,
    maxBacklog: env.HERALD_MAX_BACKLOG,
  });
  const payloads = new PayloadStore(redis, keys);
  const parking = new ParkingLot(redis, keys);
  const slots = new DeliverySlots({
    capacity: env.HERALD_WORKER_CONCURRENCY,
    webhookCap: env.HERALD_WEBHOOK_MAX_IN_FLIGHT,
    waitMs: env.HERALD_SLOT_WAIT_MS,
  });
  const events = new OperationalEvents(redis, keys, logger);
  const effects = new AttemptEffects({
    events,
    webhookStore,
    logger,
    backlogEventWindowMs: env.HERALD_BACKLOG_EVENT_WINDOW_MS,
    authEventWindowMs: env.HERALD_AUTH_EVENT_WINDOW_MS,
  });
  const settler = new Settler({
    redis,
    keys,
    queue,
    logger,
    limits: {
      logSize: env.HERALD_ATTEMPT_LOG_SIZE,
      eventAttemptsKept: EVENT_ATTEMPTS_KEPT,
      eventAttemptsTtlMs: env.HERALD_EVENT_ATTEMPTS_TTL,
      markerTtlMs: SETTLED_MARKER_TTL_MS,
      invalidMaxLen: env.HERALD_INVALID_STREAM_MAXLEN,
      disableAfterMs: env.HERALD_DISABLE_AFTER_FAILING_MS,
    },
    onCircuitChanges: (webhook, changes, reason) => void effects.circuitChanged(webhook, changes, reason),
    onBacklogFull: (webhook, maxBacklog) => void effects.backlogFull(webhook, maxBacklog),
  });
  const direct = new DirectDelivery({ http, tokens, heldDelayMs, slots, settler, policies, effects, metrics });
  const processor = new DeliveryProcessor({
    webhooks,
    documents,
    http,
    tokens,
    heldDelayMs,
    slots,
    settler,
    policies,
    payloads,
    parking,
    effects,
    events,
    metrics,
    webhookCacheMs: env.HERALD_WEBHOOK_CACHE_MS,
    rateLimitEventWindowMs: env.HERALD_RATE_LIMIT_EVENT_WINDOW_MS,
  });

  const health = new HealthServer(redis, metrics.registry, logger, env.HERALD_METRICS_HOST, env.HERALD_METRICS_PORT);
  const delivery = new DeliveryWorker(
    { connection: workerConnection, queue, processor, settler, payloads, metrics, logger },
    { prefix: env.HERALD_PREFIX, concurrency: env.HERALD_WORKER_CONCURRENCY, lockDurationMs: env.HERALD_JOB_LOCK_MS },
  );
  const fanout = new FanoutConsumer(
    { blocking, redis, keys, webhooks, documents, filters: new WebhookFilters(), circuits: new CircuitBreaker(redis, keys), policies, slots, direct, settler, events, metrics, logger },
    {
      batchSize: env.HERALD_FANOUT_BATCH,
      claimIdleMs: env.HERALD_CLAIM_IDLE_MS,
      idempotencyTtlSeconds: env.HERALD_IDEMPOTENCY_TTL_SECONDS,
      rateLimitEventWindowMs: env.HERALD_RATE_LIMIT_EVENT_WINDOW_MS,
    },
  );
  const gauges = new SystemGauges(
    { registry: metrics.registry, redis, keys, queue },
    { intervalMs: env.HERALD_METRICS_INTERVAL_MS, streamLagLimit: env.HERALD_STREAM_MAXLEN },
  );
  const releaser = new ParkingReleaser(
    { parking, queue, webhooks, documents, policies, logger },
    { intervalMs: PARKING_RELEASE_EVERY_MS, batch: PARKING_RELEASE_BATCH, maxWaiting: PARKING_RELEASE_MAX_WAITING },
  );
  const trimmer = new StreamTrimmer({ stream: new EventsStream(redis, keys), logger }, { kept: env.HERALD_STREAM_MAXLEN, intervalMs: STREAM_TRIM_EVERY_MS });
  // Stopped in reverse: the fan-out stops reading and settles what it started, the queue's worker
  // finishes its jobs, then the settler writes what is left.
  const supervisor = new Supervisor([health, gauges, trimmer, webhooks, settler, delivery, releaser, fanout], logger);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'herald worker draining');
    health.setReady(false);
    // Take no new jobs while the fan-out finishes what it has started.
    await delivery.stopIntake().catch((error: Error) => logger.warn({ err: error.message }, 'could not pause the delivery worker'));
    const drained = await supervisor.stop(env.HERALD_SHUTDOWN_TIMEOUT_MS);
    if (!drained) {
      // Deliveries still in flight keep their entries pending and their jobs locked; another worker
      // claims the entries, and runs the jobs once their locks expire.
      logger.warn({ timeoutMs: env.HERALD_SHUTDOWN_TIMEOUT_MS }, 'drain deadline passed; in-flight deliveries will be retried elsewhere');
      process.exit(1);
    }
    slots.close();
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
    {
      consumer: fanout.consumer,
      concurrency: env.HERALD_WORKER_CONCURRENCY,
      webhookMaxInFlight: env.HERALD_WEBHOOK_MAX_IN_FLIGHT,
      prefix: env.HERALD_PREFIX,
    },
    'herald worker running',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`herald worker failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
