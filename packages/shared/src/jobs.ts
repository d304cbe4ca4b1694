// The delivery job: what fan-out and replay put on the BullMQ queue, and what the worker parses.
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { deliveryIdFor, replayJobId } from './ids';
import { maxAttempts } from './retry';
import type { StoredEvent } from './schemas/event';
import type { RetryPolicy } from './schemas/retry-policy';
import type { Webhook } from './schemas/webhook';

/** BullMQ job name of a delivery; also the custom backoff type the worker's strategy answers to. */
export const DELIVERY_JOB_NAME = 'deliver';
export const DELIVERY_BACKOFF_TYPE = 'herald';

// A job's event and retry policy were validated when they were accepted (API, fan-out, webhook
// creation) and are stored parsed; a worker checks only their shape, on every attempt, cheaply.

const jobEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  tenant: z.string(),
  data: z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'must be an object',
  }),
  occurredAt: z.string(),
  receivedAt: z.number(),
  idempotencyKey: z.string().optional(),
}) satisfies z.ZodType<StoredEvent>;

const jobRetryPolicySchema = z.object({
  strategy: z.enum(['exponential', 'schedule']),
  maxRetries: z.number(),
  initialDelayMs: z.number(),
  backoffMultiplier: z.number(),
  maxDelayMs: z.number(),
  jitter: z.number(),
  delaysMs: z.array(z.number()).optional(),
}) satisfies z.ZodType<RetryPolicy>;

export const deliveryJobDataSchema = z.object({
  /**
   * Version tag: a worker refuses job data of a version it does not know. 2 added
   * `attemptsBefore`; a version-1 job is read as having none.
   */
  v: z.union([z.literal(1), z.literal(2)]),
  deliveryId: z.string(),
  webhookId: z.string(),
  event: jobEventSchema,
  /** The webhook's retry policy when the delivery was enqueued; attempts and backoff follow it. */
  retry: jobRetryPolicySchema,
  /** 0 for the first run; n for the n-th replay from dead letters. */
  replay: z.number().int().min(0),
  /**
   * Attempts this run of the delivery already made before the job existed: 1 for the retries of a
   * delivery first attempted straight from the stream. The job's attempt n is attempt
   * `attemptsBefore + n` of the delivery.
   */
  attemptsBefore: z.number().int().min(0).default(0),
  /**
   * A rate-limit token was already taken for this delivery (it was planned to go at once, then had
   * to wait for a slot): its first attempt takes none.
   */
  rateAdmitted: z.boolean().optional(),
});
export type DeliveryJobData = z.output<typeof deliveryJobDataSchema>;

export interface DeliveryJobSpec {
  name: typeof DELIVERY_JOB_NAME;
  data: DeliveryJobData;
  opts: JobsOptions;
}

export interface DeliveryJobOptions {
  /** n for the n-th replay from dead letters (a job id of its own); default 0. */
  replay?: number;
  /** Attempts already made (and recorded) before this job; default 0. */
  attemptsBefore?: number;
  /** When the job's first attempt is due, in ms from now; default at once. */
  delayMs?: number;
  /** A rate-limit token was already taken for it. */
  rateAdmitted?: boolean;
}

/**
 * One delivery of `event` to `webhook` as a job, with its deterministic id (so that making it again,
 * as a re-read stream entry would, adds nothing). Its attempts are what the policy leaves after
 * `attemptsBefore`.
 */
export function deliveryJob(event: StoredEvent, webhook: Pick<Webhook, 'id' | 'retry'>, options: DeliveryJobOptions = {}): DeliveryJobSpec {
  const { replay = 0, attemptsBefore = 0, delayMs = 0, rateAdmitted } = options;
  const deliveryId = deliveryIdFor(event.id, webhook.id);
  return {
    name: DELIVERY_JOB_NAME,
    data: { v: 2, deliveryId, webhookId: webhook.id, event, retry: webhook.retry, replay, attemptsBefore, ...(rateAdmitted ? { rateAdmitted } : {}) },
    opts: {
      jobId: replay === 0 ? deliveryId : replayJobId(deliveryId, replay),
      attempts: Math.max(1, maxAttempts(webhook.retry) - attemptsBefore),
      backoff: { type: DELIVERY_BACKOFF_TYPE },
      ...(delayMs > 0 ? { delay: Math.round(delayMs) } : {}),
    },
  };
}
