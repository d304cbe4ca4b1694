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
  /** Version tag: a worker refuses job data of a version it does not know. */
  v: z.literal(1),
  deliveryId: z.string(),
  webhookId: z.string(),
  event: jobEventSchema,
  /** The webhook's retry policy when the delivery was enqueued; attempts and backoff follow it. */
  retry: jobRetryPolicySchema,
  /** 0 for the first run; n for the n-th replay from dead letters. */
  replay: z.number().int().min(0),
});
export type DeliveryJobData = z.input<typeof deliveryJobDataSchema>;

export interface DeliveryJobSpec {
  name: typeof DELIVERY_JOB_NAME;
  data: DeliveryJobData;
  opts: JobsOptions;
}

/** One delivery of `event` to `webhook`, with its deterministic job id. */
export function deliveryJob(event: StoredEvent, webhook: Pick<Webhook, 'id' | 'retry'>, replay = 0): DeliveryJobSpec {
  const deliveryId = deliveryIdFor(event.id, webhook.id);
  return {
    name: DELIVERY_JOB_NAME,
    data: { v: 1, deliveryId, webhookId: webhook.id, event, retry: webhook.retry, replay },
    opts: {
      jobId: replay === 0 ? deliveryId : replayJobId(deliveryId, replay),
      attempts: maxAttempts(webhook.retry),
      backoff: { type: DELIVERY_BACKOFF_TYPE },
    },
  };
}
