import { z } from 'zod';
import { DEFAULT_TENANT, MAX_JSON_DEPTH, eventTypeSchema, jsonDepth, tenantSchema } from './common';

/**
 * The largest event, as serialized JSON, in bytes (1 MiB): the API answers 413 beyond it, and
 * fan-out sends a stream entry beyond it to the invalid-entries stream.
 */
export const MAX_EVENT_BYTES = 1_048_576;

/**
 * Event data, delivered exactly as sent. A "__proto__" key, which validation could not copy (it
 * would vanish), is refused by whoever reads the document (protoKeyIssues), before this schema.
 */
const eventDataSchema = z
  .record(z.string(), z.unknown())
  .refine((data) => jsonDepth(data) <= MAX_JSON_DEPTH, `must not nest deeper than ${MAX_JSON_DEPTH} levels`)
  .meta({
    description: `A JSON object, delivered exactly as sent; nested at most ${MAX_JSON_DEPTH} levels. A key named "__proto__" anywhere in it is refused (400).`,
    example: { invoice: 42, amount: 1200 },
  });

/** The idempotency key producers may give an event. */
export const EVENT_KEY_MAX_LENGTH = 256;
export const occurredAtSchema = z.iso.datetime({ offset: true });

/** An event as producers send it, over HTTP or in the `event` field of a stream entry. */
export const eventInputSchema = z
  .strictObject({
    type: eventTypeSchema.meta({ description: `${eventTypeSchema.description} Herald's operational event types are reserved (400).` }),
    data: eventDataSchema.default({}),
    /** The producer's idempotency key: the same id within 24 h is accepted once. */
    id: z
      .string()
      .min(1)
      .max(EVENT_KEY_MAX_LENGTH)
      .optional()
      .meta({
        description:
          'Idempotency key, 1–256 characters: the same key for the same tenant within HERALD_IDEMPOTENCY_TTL_SECONDS (24 h by default) is accepted once, and answered with the first event\'s id and `duplicate: true`. Not the event\'s id: Herald assigns that (`evt_…`).',
        example: 'invoice-42-paid',
      }),
    tenant: tenantSchema.default(DEFAULT_TENANT).meta({ description: `${tenantSchema.description} Default "${DEFAULT_TENANT}".` }),
    occurredAt: occurredAtSchema.optional().meta({ description: 'When it happened, ISO-8601 with an offset; default: when Herald received it.' }),
  })
  .meta({
    id: 'EventInput',
    description: `An event as producers send it: at most ${MAX_EVENT_BYTES} bytes (1 MiB) as serialized JSON (413 beyond). No other fields are accepted.`,
  });
export type EventInput = z.input<typeof eventInputSchema>;
export type ParsedEventInput = z.output<typeof eventInputSchema>;

/** An event once Herald has accepted it: what delivery jobs carry. */
export const storedEventSchema = z
  .object({
    /** Herald's event id: the `webhook-id` header of every delivery of this event. */
    id: z.string().min(1).meta({ description: "Herald's event id (`evt_…`): the `webhook-id` header of every delivery of this event." }),
    type: eventTypeSchema,
    data: z.record(z.string(), z.unknown()).meta({ description: 'The data as the producer sent it.' }),
    tenant: tenantSchema,
    occurredAt: z.string().meta({ description: 'ISO-8601: as the producer said, or when Herald received the event.' }),
    /** Unix milliseconds when Herald accepted the event (publish → delivery latency starts here). */
    receivedAt: z.number().int().meta({ description: 'Unix milliseconds when Herald accepted the event.' }),
    idempotencyKey: z.string().optional().meta({ description: "The producer's idempotency key, if it sent one." }),
  })
  .meta({ id: 'Event', description: 'An event Herald accepted.' });
export type StoredEvent = z.infer<typeof storedEventSchema>;
