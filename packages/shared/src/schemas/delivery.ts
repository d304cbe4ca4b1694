import { z } from 'zod';
import { storedEventSchema } from './event';

/** One HTTP attempt at delivering one event to one webhook, as the attempt log keeps it. */
export const deliveryAttemptSchema = z.object({
  /** `<deliveryId>#<attempt>`; replays continue the numbering. */
  id: z.string(),
  deliveryId: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  tenant: z.string(),
  attempt: z.number().int().min(1),
  outcome: z.enum(['success', 'retry', 'dead_letter', 'skipped']),
  statusCode: z.number().int().optional(),
  /** The first 1 KiB of the response body. */
  responseBody: z.string().optional(),
  error: z.string().optional(),
  durationMs: z.number(),
  timestamp: z.string(),
  /** When the next attempt is due (retry outcome only). */
  nextAttemptAt: z.string().optional(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** A delivery that failed for good, parked until an operator replays or purges it. */
export const deadLetterSchema = z.object({
  /** The delivery id: `<eventId>.<webhookId>`. */
  id: z.string(),
  webhookId: z.string(),
  tenant: z.string(),
  event: storedEventSchema,
  attempts: z.number().int(),
  lastError: z.string(),
  lastStatusCode: z.number().int().optional(),
  deadLetteredAt: z.string(),
  /** How many times operators replayed this delivery before. */
  replays: z.number().int().default(0),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;
