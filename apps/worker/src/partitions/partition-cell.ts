// Everything a worker runs for one partition: its stream's fan-out (with the hop to other
// partitions), its delivery queue, its settler, parking and trimming. A worker runs a cell for each
// partition it leases (one, always, on an installation of one partition).
import {
  CircuitBreaker,
  EventRouter,
  EventsStream,
  FifoLines,
  ParkingLot,
  PayloadStore,
  createDeliveryQueue,
  createRedis,
  type Logger,
  type PartitionLayout,
  type RedisClient,
  type RedisTarget,
  type WebhookStore,
} from '@herald/shared';
import type { Queue } from 'bullmq';
import type { WorkerEnv } from '../env';
import type { WorkerMetrics } from '../metrics';
import type { Service } from '../service';
import type { WebhookRegistry } from '../webhooks/webhook-registry';
import type { WebhookDocuments } from '../webhooks/webhook-documents';
import type { WebhookFilters } from '../webhooks/webhook-filters';
import type { OAuth2Tokens } from '../oauth2/oauth2-tokens';
import type { HttpClient } from '../attempt/http-client';
import type { DeliverySlots } from '../policies/delivery-slots';
import { FanoutConsumer } from '../stream/fanout-consumer';
import { StreamTrimmer } from '../stream/stream-trimmer';
import { ParkingReleaser } from '../parking/parking-releaser';
import { Settler } from '../settle/settler';
import { AttemptEffects } from '../run/attempt-effects';
import { DirectDelivery } from '../run/direct-delivery';
import { DeliveryProcessor } from '../run/processor';
import { DeliveryWorker } from '../run/delivery-worker';
import { DeliveryPolicies } from '../policies/delivery-policies';
import { OperationalEvents } from '../policies/operational-events';
import { FifoDispatcher } from '../fifo/fifo-dispatcher';
import { FifoPump } from '../fifo/fifo-pump';
import type { FifoGauges } from '../fifo/fifo-gauges';

/** Attempts kept in each event's own list (over all its webhooks). */
const EVENT_ATTEMPTS_KEPT = 200;
/**
 * How long the markers of deliveries settled from a pending entry are kept: long past any claim
 * delay, so that an entry claimed after a long outage still skips what was settled.
 */
const SETTLED_MARKER_TTL_MS = 86_400_000;
/** How often each worker looks for parked deliveries its webhooks' circuits let go. */
const PARKING_RELEASE_EVERY_MS = 250;
/** Parked deliveries of one webhook queued at a time. */
const PARKING_RELEASE_BATCH = 500;
/** Jobs waiting in the queue past which no more parked deliveries are queued until they are taken. */
const PARKING_RELEASE_MAX_WAITING = 2000;
/** How often each worker trims the events stream (only what the workers have read and acknowledged). */
const STREAM_TRIM_EVERY_MS = 1000;
/** How often each worker sends out the heads of FIFO lines that were waiting. */
const FIFO_PUMP_EVERY_MS = 200;
/** How often each worker looks for FIFO heads whose jobs were lost, and reads the FIFO gauges. */
const FIFO_RECOVER_EVERY_MS = 5000;
/** How long a FIFO head's job may be gone (or finished without its line moving) before the head is sent again. */
const FIFO_STALE_MS = 10_000;

/** What every cell of a worker shares. */
export interface CellShared {
  env: WorkerEnv;
  layout: PartitionLayout;
  redisTarget: RedisTarget;
  /** For commands that do not block. */
  redis: RedisClient;
  /** BullMQ's connections (each BullMQ worker makes its own blocking one from it). */
  workerConnection: RedisClient;
  queueConnection: RedisClient;
  webhookStore: WebhookStore;
  webhooks: WebhookRegistry;
  documents: WebhookDocuments;
  filters: WebhookFilters;
  http: HttpClient;
  tokens: OAuth2Tokens;
  slots: DeliverySlots;
  metrics: WorkerMetrics;
  fifoGauges: FifoGauges;
  logger: Logger;
}

export class PartitionCell implements Service {
  readonly name: string;
  readonly queue: Queue;
  private readonly blocking: RedisClient;
  private readonly delivery: DeliveryWorker;
  private readonly services: Service[];
  private started: Service[] = [];

  constructor(
    readonly partition: number,
    shared: CellShared,
  ) {
    const { env, layout, redis, logger, metrics, http, tokens, slots, webhooks, documents, filters, webhookStore } = shared;
    // Deliveries held while the egress proxy fails come back spread out, not all at the same instant.
    const heldDelayMs = () => env.HERALD_EGRESS_RETRY_MS + Math.floor(Math.random() * Math.min(10_000, env.HERALD_EGRESS_RETRY_MS));
    const keys = layout.keys(partition);
    this.name = `partition-${partition}`;
    const cellLogger = layout.partitioned ? logger.child({ partition }) : logger;
    // XREAD BLOCK (fan-out waiting for entries) holds a connection: each cell has its own.
    this.blocking = createRedis(shared.redisTarget);
    this.blocking.on('error', (error) => cellLogger.warn({ err: error.message }, 'redis connection error'));
    this.queue = createDeliveryQueue(shared.queueConnection, keys.bullPrefix);
    this.queue.on('error', (error) => cellLogger.warn({ err: error.message }, 'delivery queue error'));
    const policies = new DeliveryPolicies(redis, keys, {
      failureThreshold: env.HERALD_CIRCUIT_FAILURE_THRESHOLD,
      cooldownMs: env.HERALD_CIRCUIT_COOLDOWN_MS,
      probeLeaseMs: env.HERALD_CIRCUIT_PROBE_LEASE_MS,
      maxBacklog: env.HERALD_MAX_BACKLOG,
    });
    const payloads = new PayloadStore(redis, keys);
    const parking = new ParkingLot(redis, keys);
    const events = new OperationalEvents(redis, keys, cellLogger);
    const effects = new AttemptEffects({
      events,
      webhookStore,
      logger: cellLogger,
      backlogEventWindowMs: env.HERALD_BACKLOG_EVENT_WINDOW_MS,
      authEventWindowMs: env.HERALD_AUTH_EVENT_WINDOW_MS,
    });
    const fifoLines = new FifoLines(redis, keys);
    const dispatcher = new FifoDispatcher({ queue: this.queue, webhooks, documents, logger: cellLogger });
    const settler = new Settler({
      redis,
      keys,
      queue: this.queue,
      logger: cellLogger,
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
      onFifoHeads: (heads) => void dispatcher.dispatch(heads),
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
    this.delivery = new DeliveryWorker(
      { connection: shared.workerConnection, queue: this.queue, processor, settler, payloads, metrics, logger: cellLogger },
      { prefix: keys.bullPrefix, concurrency: env.HERALD_WORKER_CONCURRENCY, lockDurationMs: env.HERALD_JOB_LOCK_MS },
    );
    const fanout = new FanoutConsumer(
      {
        blocking: this.blocking,
        redis,
        keys,
        webhooks,
        documents,
        filters,
        circuits: new CircuitBreaker(redis, keys),
        policies,
        slots,
        direct,
        settler,
        events,
        metrics,
        logger: cellLogger,
        ...(layout.partitioned ? { router: new EventRouter(redis, layout, partition) } : {}),
        fifo: { lines: fifoLines, dispatcher, markerTtlMs: SETTLED_MARKER_TTL_MS },
      },
      {
        batchSize: env.HERALD_FANOUT_BATCH,
        claimIdleMs: env.HERALD_CLAIM_IDLE_MS,
        idempotencyTtlSeconds: env.HERALD_IDEMPOTENCY_TTL_SECONDS,
        rateLimitEventWindowMs: env.HERALD_RATE_LIMIT_EVENT_WINDOW_MS,
      },
    );
    const releaser = new ParkingReleaser(
      { parking, queue: this.queue, webhooks, documents, policies, logger: cellLogger },
      { intervalMs: PARKING_RELEASE_EVERY_MS, batch: PARKING_RELEASE_BATCH, maxWaiting: PARKING_RELEASE_MAX_WAITING },
    );
    const trimmer = new StreamTrimmer({ stream: new EventsStream(redis, keys), logger: cellLogger }, { kept: env.HERALD_STREAM_MAXLEN, intervalMs: STREAM_TRIM_EVERY_MS });
    const fifoPump = new FifoPump(
      { lines: fifoLines, dispatcher, gauges: shared.fifoGauges, partition, logger: cellLogger },
      { pumpEveryMs: FIFO_PUMP_EVERY_MS, recoverEveryMs: FIFO_RECOVER_EVERY_MS, staleMs: FIFO_STALE_MS },
    );
    // Stopped in reverse: the fan-out stops reading and settles what it started, the queue's worker
    // finishes its jobs, then the settler writes what is left.
    this.services = [trimmer, settler, this.delivery, fifoPump, releaser, fanout];
  }

  async start(): Promise<void> {
    for (const service of this.services) {
      await service.start();
      this.started.push(service);
    }
  }

  /** Takes no new jobs (the jobs in hand go on): the first step of draining. */
  stopIntake(): Promise<void> {
    return this.delivery.stopIntake();
  }

  /** Stops what started, last first, then closes the cell's own connections. */
  async stop(): Promise<void> {
    for (const service of [...this.started].reverse()) await service.stop();
    this.started = [];
    await this.queue.close().catch(() => undefined);
    this.blocking.disconnect();
  }
}
