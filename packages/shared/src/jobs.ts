// The delivery job: what fan-out and replay put on the BullMQ queue, and what the worker parses.
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { deliveryIdFor, replayJobId } from './ids';
import { fifoJobId } from './fifo/fifo-lines';
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

export const deliveryJobDataSchema = z
  .object({
    /**
     * Version tag: a worker refuses job data of a version it does not know. 2 added
     * `attemptsBefore`; a version-1 job is read as having none. 3 carries the event's id, its payload
     * stored once apart (payloads/), and the event itself only when it is nowhere else (a test send).
     */
    v: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    deliveryId: z.string(),
    webhookId: z.string(),
    eventId: z.string().optional(),
    /** The event, in jobs of versions 1 and 2, and in version 3 when no payload is stored for it. */
    event: jobEventSchema.optional(),
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
    /** The head of a FIFO line (fifo/): its line and its member there, which move on when it is done. */
    fifo: z.object({ line: z.string(), member: z.string(), n: z.number().int().default(0), block: z.boolean().optional() }).optional(),
  })
  .refine((data) => data.event !== undefined || data.eventId !== undefined, { message: 'names no event', path: ['eventId'] });
export type DeliveryJobData = z.output<typeof deliveryJobDataSchema>;

/** The id of the event a job delivers, whichever version it is. */
export function jobEventId(data: DeliveryJobData): string {
  return data.eventId ?? (data.event as StoredEvent).id;
}

export interface DeliveryJobSpec {
  name: typeof DELIVERY_JOB_NAME;
  data: DeliveryJobData;
  opts: JobsOptions;
}

export interface DeliveryJobOptions {
  /** n for the n-th replay from dead letters (a job id of its own); default 0. */
  replay?: number;
  /**
   * The job carries the event itself, for an event whose payload is stored nowhere (a test send);
   * otherwise it carries the event's id, and its payload must be stored (PayloadStore.retain)
   * before the job is added.
   */
  inline?: boolean;
  /** The delivery was parked, in this entry of its webhook's parking: a job id of its own. */
  parkedEntry?: string;
  /** Attempts already made (and recorded) before this job; default 0. */
  attemptsBefore?: number;
  /** When the job's first attempt is due, in ms from now; default at once. */
  delayMs?: number;
  /** A rate-limit token was already taken for it. */
  rateAdmitted?: boolean;
  /** The head of a FIFO line, sent out for the n-th time by its webhook: a job id of its own. */
  fifo?: { line: string; member: string; n: number; block?: boolean };
}

/**
 * One delivery of `event` to `webhook` as a job, with its deterministic id (so that making it again,
 * as a re-read stream entry would, adds nothing). Its attempts are what the policy leaves after
 * `attemptsBefore`. Unless `inline`, the job names the event by its id only: its payload is stored
 * once, apart.
 */
export function deliveryJob(event: StoredEvent | Pick<StoredEvent, 'id'>, webhook: Pick<Webhook, 'id' | 'retry'>, options: DeliveryJobOptions = {}): DeliveryJobSpec {
  const { replay = 0, attemptsBefore = 0, delayMs = 0, rateAdmitted, inline = false, parkedEntry, fifo } = options;
  const deliveryId = deliveryIdFor(event.id, webhook.id);
  if (inline && !('type' in event)) throw new Error('an inline delivery job needs the whole event');
  const carried = inline ? { event: event as StoredEvent } : { eventId: event.id };
  return {
    name: DELIVERY_JOB_NAME,
    data: {
      v: 3, deliveryId, webhookId: webhook.id, ...carried, retry: webhook.retry, replay, attemptsBefore,
      ...(rateAdmitted ? { rateAdmitted } : {}),
      ...(fifo ? { fifo: { line: fifo.line, member: fifo.member, n: fifo.n, ...(fifo.block ? { block: true } : {}) } } : {}),
    },
    opts: {
      jobId: fifo ? fifoJobId(event.id, webhook.id, fifo.n) : parkedEntry ? `${deliveryId}.p${parkedEntry}` : replay === 0 ? deliveryId : replayJobId(deliveryId, replay),
      attempts: Math.max(1, maxAttempts(webhook.retry) - attemptsBefore),
      backoff: { type: DELIVERY_BACKOFF_TYPE },
      ...(delayMs > 0 ? { delay: Math.round(delayMs) } : {}),
    },
  };
}
