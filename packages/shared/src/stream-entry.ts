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
   * On an entry written by an earlier version of fan-out into another partition's stream, one
   * event per entry: the comma-separated webhooks of that partition it goes to. Still read.
   */
  targets: 'targets',
  /**
   * The only field of an entry fan-out writes into another partition's stream: a JSON array of
   * the events of one fan-out batch that go to that partition's webhooks, each
   * `{ event, eventId, receivedAt, targets }` (routedItem; partitions/route-events-n.lua).
   */
  routed: 'routed',
} as const;

/** An event fan-out writes into another partition's stream, for the webhooks of that partition it goes to (only those). */
export interface RoutedEvent {
  event: StoredEvent;
  webhookIds: readonly string[];
}

/** Herald event ids: safe inside BullMQ job ids (no ":") and delivery ids (no "."). */
const EVENT_ID = /^evt_[A-Za-z0-9_-]{1,120}$/;

export type DecodedEntry =
  /** `targets`: the webhooks a routed entry of one event (an earlier version's) goes to, only those. */
  | { ok: true; event: StoredEvent; viaApi: boolean; targets?: string[] }
  /** An entry another partition's fan-out wrote: its events, each with the webhooks here it goes to. */
  | { ok: true; routed: RoutedEvent[] }
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
  if (raw === undefined) {
    const routed = map.get(STREAM_FIELDS.routed);
    if (routed !== undefined) return decodeRouted(routed);
    return { ok: false, reason: `entry has no "${STREAM_FIELDS.event}" field` };
  }
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

/** An event's input checked by hand, else by the full schema; or what is wrong with it. */
function checkedInput(json: unknown): CheckedInput | string {
  const checked = checkedByHand(json);
  if (checked) return checked;
  const parsed = eventInputSchema.safeParse(json, { error: plainMessages });
  const protoIssues = protoKeyIssues(json);
  if (parsed.success && protoIssues.length === 0) return parsed.data;
  return [...protoIssues, ...(parsed.success ? [] : parsed.error.issues)]
    .map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}

/** One event of a routed entry, or why it is not one. */
function decodeRoutedItem(item: unknown): RoutedEvent | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'not an object';
  const { event, eventId, receivedAt, targets } = item as Record<string, unknown>;
  if (typeof eventId !== 'string' || !EVENT_ID.test(eventId)) return `"${STREAM_FIELDS.eventId}" must look like evt_… (letters, digits, "_", "-")`;
  if (typeof receivedAt !== 'number' || !(receivedAt > 0)) return `"${STREAM_FIELDS.receivedAt}" must be a positive number`;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((id) => typeof id === 'string' && id.length > 0)) {
    return `"${STREAM_FIELDS.targets}" must be a non-empty list of webhook ids`;
  }
  const checked = checkedInput(event);
  if (typeof checked === 'string') return `invalid event: ${checked}`;
  return { event: storedEvent(checked, eventId, receivedAt), webhookIds: targets as string[] };
}

/** The events of an entry another partition's fan-out wrote, or why it is not one such entry. */
function decodeRouted(raw: string): DecodedEntry {
  let items: unknown;
  try {
    items = JSON.parse(raw);
  } catch (error) {
    return { ok: false, reason: `"${STREAM_FIELDS.routed}" is not valid JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(items) || items.length === 0) return { ok: false, reason: `"${STREAM_FIELDS.routed}" must be a non-empty list of events` };
  // Each event within the API's limit: the whole no larger than that many limits.
  const bytes = Buffer.byteLength(raw);
  if (bytes > MAX_EVENT_BYTES * items.length) return { ok: false, reason: `"${STREAM_FIELDS.routed}" is ${bytes} bytes for ${items.length} events; the limit is ${MAX_EVENT_BYTES} bytes (1 MiB) each` };
  const routed: RoutedEvent[] = [];
  for (const [i, item] of items.entries()) {
    const decoded = decodeRoutedItem(item);
    if (typeof decoded === 'string') return { ok: false, reason: `routed event ${i}: ${decoded}` };
    routed.push(decoded);
  }
  return { ok: true, routed };
}

/**
 * One event of an entry fan-out writes into another partition's stream (the `routed` field is a
 * JSON array of these): the stored event and the webhooks of that partition it goes to.
 */
export function routedItem({ event, webhookIds }: RoutedEvent): string {
  const input = { type: event.type, tenant: event.tenant, data: event.data, occurredAt: event.occurredAt, ...(event.idempotencyKey === undefined ? {} : { id: event.idempotencyKey }) };
  return JSON.stringify({ event: input, eventId: event.id, receivedAt: event.receivedAt, targets: webhookIds });
}
