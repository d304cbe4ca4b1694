import { z } from 'zod';
import { storedEventSchema } from './event';

/** One HTTP attempt at delivering one event to one webhook, as the attempt log keeps it. */
export const deliveryAttemptSchema = z
  .object({
    /** `<deliveryId>#<attempt>`; replays continue the numbering. */
    id: z.string().meta({ description: '`<deliveryId>#<attempt>`; replays continue the numbering.' }),
    deliveryId: z.string().meta({ description: '`<eventId>.<webhookId>`: the `x-herald-delivery-id` header.' }),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    tenant: z.string(),
    attempt: z.number().int().min(1).meta({ description: 'The attempt number, from 1: the `x-herald-attempt` header.' }),
    outcome: z.enum(['success', 'retry', 'dead_letter', 'skipped']),
    statusCode: z.number().int().optional().meta({ description: "The endpoint's HTTP status, when it answered." }),
    /** The first 1 KiB of the response body. */
    responseBody: z.string().optional().meta({ description: 'The first 1 KiB of the response body.' }),
    error: z.string().optional().meta({ description: 'Why the attempt failed, when it did.' }),
    durationMs: z.number(),
    timestamp: z.string().meta({ description: 'When the attempt was made (ISO-8601).' }),
    /** When the next attempt is due (retry outcome only). */
    nextAttemptAt: z.string().optional().meta({ description: 'When the next attempt is due (outcome retry only).' }),
  })
  .meta({
    id: 'DeliveryAttempt',
    description:
      'One HTTP attempt at delivering one event to one webhook. `outcome`: success (2xx); retry (failed, another attempt is due at nextAttemptAt); dead_letter (failed for good); skipped (the webhook was disabled or deleted meanwhile).',
  });
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** A delivery that failed for good, parked until an operator replays or purges it. */
export const deadLetterSchema = z
  .object({
    /** The delivery id: `<eventId>.<webhookId>`. */
    id: z.string().meta({ description: 'The delivery id: `<eventId>.<webhookId>`.' }),
    webhookId: z.string(),
    tenant: z.string(),
    event: storedEventSchema,
    attempts: z.number().int().meta({ description: 'Attempts made before it was parked.' }),
    lastError: z.string(),
    lastStatusCode: z.number().int().optional(),
    deadLetteredAt: z.string().meta({ description: 'When it was parked (ISO-8601).' }),
    /** How many times operators replayed this delivery before. */
    replays: z.number().int().default(0).meta({ description: 'How many times it was replayed before.' }),
  })
  .meta({
    id: 'DeadLetter',
    description: 'A delivery that failed for good, kept until it is replayed or purged.',
  });
export type DeadLetter = z.infer<typeof deadLetterSchema>;
