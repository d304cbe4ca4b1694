// The delivery job: what fan-out and replay put on the BullMQ queue, and what the worker parses.
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { deliveryIdFor, replayJobId } from './ids';
import { maxAttempts } from './retry';
import { storedEventSchema, type StoredEvent } from './schemas/event';
import { retryPolicySchema } from './schemas/retry-policy';
import type { Webhook } from './schemas/webhook';

/** BullMQ job name of a delivery; also the custom backoff type the worker's strategy answers to. */
export const DELIVERY_JOB_NAME = 'deliver';
export const DELIVERY_BACKOFF_TYPE = 'herald';

/**
 * The event as a job carries it. It was validated when accepted (API or fan-out), so its `data` is
 * checked here only for being an object, not copied key by key on every attempt.
 */
const jobEventSchema = storedEventSchema.extend({
  data: z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'must be an object',
  }),
});

export const deliveryJobDataSchema = z.object({
  /** Version tag: a worker refuses job data of a version it does not know. */
  v: z.literal(1),
  deliveryId: z.string(),
  webhookId: z.string(),
  event: jobEventSchema,
  /** The webhook's retry policy when the delivery was enqueued; attempts and backoff follow it. */
  retry: retryPolicySchema,
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
