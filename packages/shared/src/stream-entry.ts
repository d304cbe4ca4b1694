// The events stream's entry format, written by the API (and producers) and read by fan-out.
import { eventIdForStreamEntry } from './ids';
import { isOperationalEventType } from './keys';
import { EVENT_KEY_MAX_LENGTH, MAX_EVENT_BYTES, eventInputSchema, occurredAtSchema, type StoredEvent } from './schemas/event';
import {
  EVENT_TYPE_MAX_LENGTH,
  EVENT_TYPE_PATTERN,
  MAX_JSON_DEPTH,
  TENANT_MAX_LENGTH,
  TENANT_PATTERN,
  jsonDepth,
  plainMessages,
  protoKeyIssues,
  protoKeyPaths,
} from './schemas/common';

/** Fields of an events stream entry. Producers writing directly set only `event`. */
export const STREAM_FIELDS = {
  /** JSON of the Event schema, as the producer sent it. */
  event: 'event',
  /** Herald's event id, set by the API after idempotency was checked. */
  eventId: 'eventId',
  /** Unix ms when the API accepted the event. */
  receivedAt: 'receivedAt',
  /**
   * Set by fan-out on an event it writes into another partition's stream: the comma-separated
   * webhooks of that partition it goes to (partitions/route-events-n.lua).
   */
  targets: 'targets',
} as const;

/** Herald event ids: safe inside BullMQ job ids (no ":") and delivery ids (no "."). */
const EVENT_ID = /^evt_[A-Za-z0-9_-]{1,120}$/;

export type DecodedEntry =
  /** `targets`: the webhooks a routed entry goes to (only those), from another partition's fan-out. */
  | { ok: true; event: StoredEvent; viaApi: boolean; targets?: string[] }
  | { ok: false; reason: string };

interface CheckedInput {
  type: string;
  tenant: string;
  data: Record<string, unknown>;
  id?: string | undefined;
  occurredAt?: string | undefined;
}

const INPUT_FIELDS = new Set(['type', 'tenant', 'data', 'id', 'occurredAt']);

/**
 * An entry Herald wrote itself (the API, which validated the event with the same schema before
 * appending it, or a worker publishing an operational event) carries its `eventId` and
 * `receivedAt`: its event is checked by hand against the schema's rules, at a fraction of the
 * schema's cost (the hot path of every delivery). A producer may write those fields too, so every
 * rule holds here as well; anything odd goes through the full schema, which says what is wrong.
 */
function checkedByHand(json: unknown): CheckedInput | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const input = json as Record<string, unknown>;
  const { type, tenant, data, id, occurredAt } = input;
  if (typeof type !== 'string' || type.length > EVENT_TYPE_MAX_LENGTH || !EVENT_TYPE_PATTERN.test(type)) return undefined;
  if (typeof tenant !== 'string' || tenant.length > TENANT_MAX_LENGTH || !TENANT_PATTERN.test(tenant)) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || jsonDepth(data) > MAX_JSON_DEPTH) return undefined;
  if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > EVENT_KEY_MAX_LENGTH)) return undefined;
  if (occurredAt !== undefined && !occurredAtSchema.safeParse(occurredAt).success) return undefined;
  if (!Object.keys(input).every((field) => INPUT_FIELDS.has(field)) || protoKeyPaths(data).length > 0) return undefined;
  return input as unknown as CheckedInput;
}

function storedEvent(input: CheckedInput, id: string, receivedAt: number): StoredEvent {
  const event: StoredEvent = {
    id,
    type: input.type,
    data: input.data,
    tenant: input.tenant,
    occurredAt: input.occurredAt ?? new Date(receivedAt).toISOString(),
    receivedAt,
  };
  if (input.id !== undefined) event.idempotencyKey = input.id;
  return event;
}

/**
 * Turns the flat `[field, value, …]` array of a stream entry into an event, or says why not.
 * `partition` (RedisKeys.partition) names the stream's partition, which an event written straight
 * to it takes into its id.
 */
export function decodeStreamEntry(entryId: string, fields: readonly string[], partition?: string): DecodedEntry {
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
  const apiEventId = map.get(STREAM_FIELDS.eventId);
  const receivedAtField = Number(map.get(STREAM_FIELDS.receivedAt));
  if (apiEventId !== undefined && EVENT_ID.test(apiEventId) && receivedAtField > 0) {
    const checked = checkedByHand(json);
    const targets = map.get(STREAM_FIELDS.targets);
    if (checked && targets !== undefined) return { ok: true, event: storedEvent(checked, apiEventId, receivedAtField), viaApi: true, targets: targets.split(',') };
    if (checked) return { ok: true, event: storedEvent(checked, apiEventId, receivedAtField), viaApi: true };
  }
  const parsed = eventInputSchema.safeParse(json, { error: plainMessages });
  // zod skips a "__proto__" key, so the document itself is searched for one.
  const protoIssues = protoKeyIssues(json);
  if (!parsed.success || protoIssues.length > 0) {
    const reason = [...protoIssues, ...(parsed.success ? [] : parsed.error.issues)]
      .map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: `invalid event: ${reason}` };
  }
  // Stream entry ids are "<ms>-<seq>"; a producer's own entry was received when it was added.
  const entryMs = Number(entryId.split('-')[0]);
  const receivedAt = Number.isFinite(receivedAtField) && receivedAtField > 0 ? receivedAtField : entryMs;
  if (apiEventId === undefined && isOperationalEventType(parsed.data.type)) {
    return { ok: false, reason: `type "${parsed.data.type}" is reserved for Herald's own events` };
  }
  if (apiEventId !== undefined && !EVENT_ID.test(apiEventId)) {
    return { ok: false, reason: `"${STREAM_FIELDS.eventId}" must look like evt_… (letters, digits, "_", "-")` };
  }
  return { ok: true, event: storedEvent(parsed.data, apiEventId ?? eventIdForStreamEntry(entryId, partition), receivedAt), viaApi: apiEventId !== undefined };
}

/** The fields of an entry that carries a stored event to the given webhooks of another partition. */
export function routedEntryFields(event: StoredEvent, webhookIds: readonly string[]): string[] {
  const input = { type: event.type, tenant: event.tenant, data: event.data, occurredAt: event.occurredAt, ...(event.idempotencyKey === undefined ? {} : { id: event.idempotencyKey }) };
  return [
    STREAM_FIELDS.event, JSON.stringify(input),
    STREAM_FIELDS.eventId, event.id,
    STREAM_FIELDS.receivedAt, String(event.receivedAt),
    STREAM_FIELDS.targets, webhookIds.join(','),
  ];
}
