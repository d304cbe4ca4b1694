import { z } from 'zod';
import { DEFAULT_TENANT, MAX_JSON_DEPTH, eventTypeSchema, jsonDepth, protoKeyPaths, tenantSchema } from './common';

/**
 * The largest event, as serialized JSON, in bytes (1 MiB): the API answers 413 beyond it, and
 * fan-out sends a stream entry beyond it to the invalid-entries stream.
 */
export const MAX_EVENT_BYTES = 1_048_576;

/**
 * Event data, delivered exactly as sent: a "__proto__" key, which validation could not copy (it
 * would vanish), is refused by name rather than dropped.
 */
const eventDataSchema = z
  .unknown()
  .superRefine((data, ctx) => {
    for (const path of protoKeyPaths(data)) {
      ctx.addIssue({ code: 'custom', path, message: 'is a key named "__proto__", which Herald cannot deliver as sent; rename it' });
    }
  })
  .pipe(
    z
      .record(z.string(), z.unknown())
      .refine((data) => jsonDepth(data) <= MAX_JSON_DEPTH, `must not nest deeper than ${MAX_JSON_DEPTH} levels`),
  );

/** An event as producers send it, over HTTP or in the `event` field of a stream entry. */
export const eventInputSchema = z.strictObject({
  type: eventTypeSchema,
  data: eventDataSchema.default({}),
  /** The producer's idempotency key: the same id within 24 h is accepted once. */
  id: z.string().min(1).max(256).optional(),
  tenant: tenantSchema.default(DEFAULT_TENANT),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});
export type EventInput = z.input<typeof eventInputSchema>;
export type ParsedEventInput = z.output<typeof eventInputSchema>;

/** An event once Herald has accepted it: what delivery jobs carry. */
export const storedEventSchema = z.object({
  /** Herald's event id: the `webhook-id` header of every delivery of this event. */
  id: z.string().min(1),
  type: eventTypeSchema,
  data: z.record(z.string(), z.unknown()),
  tenant: tenantSchema,
  occurredAt: z.string(),
  /** Unix milliseconds when Herald accepted the event (publish → delivery latency starts here). */
  receivedAt: z.number().int(),
  idempotencyKey: z.string().optional(),
});
export type StoredEvent = z.infer<typeof storedEventSchema>;
