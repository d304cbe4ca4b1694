// Runs the delivery processor on the BullMQ queue, and catches deliveries that failed outside it.
import { Worker, type Job } from 'bullmq';
import {
  DELIVERY_QUEUE,
  deliveryJobDataSchema,
  type Logger,
  type RedisClient,
} from '@herald/shared';
import type { Service } from '../service';
import { DeadLetteredError } from './errors';
import { deadLetterFor, deliveryBackoff, type DeliveryProcessor } from './processor';
import type { AttemptRecorder } from './attempt-recorder';
import type { WorkerMetrics } from '../metrics';

export interface DeliveryWorkerOptions {
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
}

/**
 * Completed jobs kept so that a stream entry re-read after a crash finds its job ids taken and
 * adds no second job. The count bounds memory; it covers HERALD_CLAIM_IDLE_MS (30 s) up to about
 * 3,300 deliveries/s. Beyond that a reclaimed entry may deliver twice (at-least-once still holds).
 */
const KEEP_COMPLETED = { age: 3600, count: 100_000 };
const KEEP_FAILED = { age: 7 * 86_400, count: 10_000 };

export class DeliveryWorker implements Service {
  readonly name = 'delivery';
  private worker: Worker | undefined;

  constructor(
    private readonly connection: RedisClient,
    private readonly processor: DeliveryProcessor,
    private readonly recorder: AttemptRecorder,
    private readonly metrics: WorkerMetrics,
    private readonly logger: Logger,
    private readonly options: DeliveryWorkerOptions,
  ) {}

  async start(): Promise<void> {
    this.worker = new Worker(DELIVERY_QUEUE, this.processor.process, {
      connection: this.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(this.options.lockDurationMs / 2)),
      maxStalledCount: 3,
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
      settings: { backoffStrategy: deliveryBackoff },
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'delivery worker error'));
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    await this.worker.waitUntilReady();
  }

  /** Stops fetching jobs and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    await this.worker?.close();
  }

  /**
   * A job that failed for good without passing through the processor's dead-lettering (it stalled
   * too often, or its data was unreadable) is dead-lettered here, so nothing fails silently.
   */
  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job || error instanceof DeadLetteredError || error.name === 'DeadLetteredError') return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || error.name === 'UnrecoverableError' || /stalled/.test(error.message);
    if (!final) return;
    const parsed = deliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    const now = new Date();
    const deadLetter = deadLetterFor(data, { attempts: job.attemptsMade, lastError: error.message, atMs: now.getTime() });
    try {
      await this.recorder.record({
        attempt: {
          id: `${job.id}#failed`,
          deliveryId: data.deliveryId,
          webhookId: data.webhookId,
          eventId: data.event.id,
          eventType: data.event.type,
          tenant: data.event.tenant,
          attempt: Math.max(1, job.attemptsMade),
          outcome: 'dead_letter',
          error: error.message,
          durationMs: 0,
          timestamp: now.toISOString(),
        },
        deadLetter,
      });
      this.metrics.deliveries.inc({ outcome: 'dead_letter' });
      this.logger.warn({ deliveryId: data.deliveryId, err: error.message }, 'delivery failed outside the processor; dead-lettered');
    } catch (recordError) {
      this.logger.error({ err: recordError, deliveryId: data.deliveryId }, 'could not dead-letter a failed delivery');
    }
  }
}
