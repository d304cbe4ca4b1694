// The events stream's entry format, written by the API (and producers) and read by fan-out.
import { eventIdForStreamEntry } from './ids';
import { isOperationalEventType } from './keys';
import { MAX_EVENT_BYTES, eventInputSchema, type StoredEvent } from './schemas/event';
import { EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN, TENANT_MAX_LENGTH, TENANT_PATTERN, plainMessages } from './schemas/common';

/** Fields of an events stream entry. Producers writing directly set only `event`. */
export const STREAM_FIELDS = {
  /** JSON of the Event schema, as the producer sent it. */
  event: 'event',
  /** Herald's event id, set by the API after idempotency was checked. */
  eventId: 'eventId',
  /** Unix ms when the API accepted the event. */
  receivedAt: 'receivedAt',
} as const;

/** Herald event ids: safe inside BullMQ job ids (no ":") and delivery ids (no "."). */
const EVENT_ID = /^evt_[A-Za-z0-9_-]{1,120}$/;

export type DecodedEntry =
  | { ok: true; event: StoredEvent; viaApi: boolean }
  | { ok: false; reason: string };

/**
 * An entry Herald wrote itself (the API, which validated the event with the same schema before
 * appending it, or a worker publishing an operational event) carries its `eventId` and
 * `receivedAt`: its event is taken as it is, after a check of its shape that costs a fraction of
 * the schema's (the hot path of every delivery). Anything else, or anything odd, goes through
 * the full schema.
 */
function writtenByHerald(fields: ReadonlyMap<string, string>, raw: string, json: unknown): StoredEvent | undefined {
  const eventId = fields.get(STREAM_FIELDS.eventId);
  const receivedAt = Number(fields.get(STREAM_FIELDS.receivedAt));
  if (eventId === undefined || !EVENT_ID.test(eventId) || !(receivedAt > 0) || typeof json !== 'object' || json === null) return undefined;
  const input = json as Record<string, unknown>;
  const data = input.data;
  if (typeof input.type !== 'string' || typeof input.tenant !== 'string' || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  // Producers may write these fields too: the rules that keep an event deliverable still hold.
  const typeOk = input.type.length <= EVENT_TYPE_MAX_LENGTH && EVENT_TYPE_PATTERN.test(input.type);
  const tenantOk = input.tenant.length <= TENANT_MAX_LENGTH && TENANT_PATTERN.test(input.tenant);
  if (!typeOk || !tenantOk || raw.includes('"__proto__"')) return undefined;
  if ((input.id !== undefined && typeof input.id !== 'string') || (input.occurredAt !== undefined && typeof input.occurredAt !== 'string')) return undefined;
  const event: StoredEvent = {
    id: eventId,
    type: input.type,
    data: data as Record<string, unknown>,
    tenant: input.tenant,
    occurredAt: (input.occurredAt as string | undefined) ?? new Date(receivedAt).toISOString(),
    receivedAt,
  };
  if (input.id !== undefined) event.idempotencyKey = input.id as string;
  return event;
}

/** Turns the flat `[field, value, …]` array of a stream entry into an event, or says why not. */
export function decodeStreamEntry(entryId: string, fields: readonly string[]): DecodedEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  const raw = map.get(STREAM_FIELDS.event);
  if (raw === undefined) return { ok: false, reason: `entry has no "${STREAM_FIELDS.event}" field` };
  // The limit the API applies (413), so a producer writing to the stream cannot go around it.
  const bytes = Buffer.byteLength(raw);
  if (bytes > MAX_EVENT_BYTES) {
    return { ok: false, reason: `"${STREAM_FIELDS.event}" is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES} bytes (1 MiB)` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, reason: `"event" is not valid JSON: ${(error as Error).message}` };
  }
  const written = writtenByHerald(map, raw, json);
  if (written) return { ok: true, event: written, viaApi: true };
  const parsed = eventInputSchema.safeParse(json, { error: plainMessages });
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: `invalid event: ${reason}` };
  }
  // Stream entry ids are "<ms>-<seq>"; a producer's own entry was received when it was added.
  const entryMs = Number(entryId.split('-')[0]);
  const receivedAtField = Number(map.get(STREAM_FIELDS.receivedAt));
  const receivedAt = Number.isFinite(receivedAtField) && receivedAtField > 0 ? receivedAtField : entryMs;
  const apiEventId = map.get(STREAM_FIELDS.eventId);
  if (apiEventId === undefined && isOperationalEventType(parsed.data.type)) {
    return { ok: false, reason: `type "${parsed.data.type}" is reserved for Herald's own events` };
  }
  if (apiEventId !== undefined && !EVENT_ID.test(apiEventId)) {
    return { ok: false, reason: `"${STREAM_FIELDS.eventId}" must look like evt_… (letters, digits, "_", "-")` };
  }
  const input = parsed.data;
  const event: StoredEvent = {
    id: apiEventId ?? eventIdForStreamEntry(entryId),
    type: input.type,
    data: input.data,
    tenant: input.tenant,
    occurredAt: input.occurredAt ?? new Date(receivedAt).toISOString(),
    receivedAt,
  };
  if (input.id !== undefined) event.idempotencyKey = input.id;
  return { ok: true, event, viaApi: apiEventId !== undefined };
}
