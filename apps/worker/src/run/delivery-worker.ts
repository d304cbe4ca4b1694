// Runs the delivery processor on the BullMQ queue, and dead-letters deliveries that failed for good
// outside it (their worker stopped too often while running them, or their data was unreadable).
import { Job, UnrecoverableError, Worker, type Queue } from 'bullmq';
import { DELIVERY_QUEUE, deliveryJobDataSchema, jobEventId, type Logger, type PayloadStore, type RedisClient } from '@herald/shared';
import type { Service } from '../service';
import type { WorkerMetrics } from '../metrics';
import { deadLetterFor, fifoDone, fifoExhaustedError } from './settlement';
import { DeadLetteredError } from './errors';
import { deliveryBackoff, type DeliveryOutcome, type DeliveryProcessor } from './processor';
import type { Settler } from '../settle/settler';

export interface DeliveryWorkerOptions {
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
}

export interface DeliveryWorkerDeps {
  connection: RedisClient;
  /** The queue, to read back a job BullMQ failed for stalling. */
  queue: Queue;
  processor: DeliveryProcessor;
  settler: Settler;
  payloads: PayloadStore;
  metrics: WorkerMetrics;
  logger: Logger;
}

/** Times a job may be found abandoned by a dead worker and restarted before it fails. */
const MAX_STALLED = 3;
/**
 * Completed jobs are kept a while, so that adding a job id again (a deferral or retry made twice
 * for one delivery after a crash) finds it taken; failed ones longer, for inspection.
 */
const KEEP_COMPLETED = { age: 3600, count: 100_000 };
const KEEP_FAILED = { age: 7 * 86_400, count: 10_000 };

export class DeliveryWorker implements Service {
  readonly name = 'delivery';
  private worker: Worker | undefined;

  constructor(
    private readonly deps: DeliveryWorkerDeps,
    private readonly options: DeliveryWorkerOptions,
  ) {}

  async start(): Promise<void> {
    this.worker = new Worker(DELIVERY_QUEUE, this.deps.processor.process, {
      connection: this.deps.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(this.options.lockDurationMs / 2)),
      maxStalledCount: MAX_STALLED,
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
      settings: { backoffStrategy: deliveryBackoff },
    });
    this.worker.on('error', (error) => this.deps.logger.error({ err: error }, 'delivery worker error'));
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('completed', (job, outcome: DeliveryOutcome) => void this.onCompleted(job, outcome));
    this.worker.on('stalled', (jobId) => void this.onStalled(jobId));
    await this.worker.waitUntilReady();
  }

  /** Stops fetching jobs, at once (the jobs in hand go on): the first step of draining the worker. */
  async stopIntake(): Promise<void> {
    await this.worker?.pause(true);
  }

  /** Stops fetching jobs and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    await this.worker?.close();
  }

  /**
   * A job done with its delivery (delivered, or skipped) gives back its reference to its event's
   * payload. Once only: BullMQ completes a job once, and tells this worker alone. A job parked or
   * dead-lettered has passed its reference on; one that carried its event itself had none.
   */
  private async onCompleted(job: Job, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.outcome !== 'success' && outcome.outcome !== 'skipped') return;
    const parsed = deliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success || parsed.data.event !== undefined) return;
    await this.deps.payloads.release([jobEventId(parsed.data)]).catch((error: Error) => {
      // Kept a while longer than needed, never lost: a payload missed here stays (a few hundred bytes).
      this.deps.logger.warn({ err: error.message, jobId: job.id }, "could not let go of a delivered event's payload");
    });
  }

  /** A job that failed for good without the processor dead-lettering it (unreadable, or an unexpected error on its last attempt). */
  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job || error instanceof DeadLetteredError) return;
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) await this.deadLetter(job, error.message);
  }

  /** BullMQ restarts a job whose worker died; past MAX_STALLED it fails it, and no processor sees that. */
  private async onStalled(jobId: string): Promise<void> {
    try {
      const job = await Job.fromId(this.deps.queue, jobId);
      if (job && (await job.isFailed())) {
        await this.deadLetter(job, `the workers running it stopped ${MAX_STALLED + 1} times before it finished`);
      }
    } catch (error) {
      this.deps.logger.error({ err: error, jobId }, 'could not check a stalled delivery job');
    }
  }

  private async deadLetter(job: Job, reason: string): Promise<void> {
    const parsed = deliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      this.deps.logger.error({ jobId: job.id, reason }, 'an unreadable delivery job failed; it names no delivery to dead-letter');
      return;
    }
    const data = parsed.data;
    const event = data.event ?? (await this.deps.payloads.get(jobEventId(data)).catch(() => undefined));
    if (!event) {
      this.deps.logger.error({ jobId: job.id, reason }, "a failed delivery job's event payload is gone; it cannot be dead-lettered");
      return;
    }
    const now = Date.now();
    const attempts = data.attemptsBefore + Math.max(1, job.attemptsMade);
    const lastError = data.fifo ? fifoExhaustedError(data.fifo.block === true, reason) : reason;
    try {
      await this.deps.settler.settle({
        webhookId: data.webhookId,
        tenant: event.tenant,
        attempt: {
          id: `${job.id}#failed`,
          deliveryId: data.deliveryId,
          webhookId: data.webhookId,
          eventId: event.id,
          eventType: event.type,
          tenant: event.tenant,
          attempt: attempts,
          outcome: 'dead_letter',
          error: reason,
          durationMs: 0,
          timestamp: new Date(now).toISOString(),
        },
        deadLetter: deadLetterFor({ ...data, event, webhookId: data.webhookId }, { attempts, lastError, atMs: now }),
        // The dead letter takes over the job's reference to the payload.
        payloadHeld: data.event === undefined,
        // A FIFO head's line moves on, or (onExhausted block) waits for an operator.
        ...(data.fifo ? { fifo: fifoDone(data.webhookId, data.fifo, data.fifo.block ? lastError : undefined) } : {}),
      });
      this.deps.metrics.deliveries.inc({ outcome: 'dead_letter' });
      this.deps.logger.warn({ deliveryId: data.deliveryId, reason }, 'delivery failed outside the processor; dead-lettered');
    } catch (recordError) {
      this.deps.logger.error({ err: recordError, deliveryId: data.deliveryId }, 'could not dead-letter a failed delivery');
    }
  }
}
