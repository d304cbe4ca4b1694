// The typed wrapper of lua/settle-n.lua: a batch of settled deliveries and finished stream entries,
// by name, turned into the script's keys and arguments, and its reply read back.
import { join } from 'node:path';
import {
  DELIVERIES_PER_MINUTE_TTL_SECONDS,
  DeadLetterStore,
  FANOUT_GROUP,
  LuaScript,
  readCircuitChanges,
  type CircuitChanges,
  type CircuitEffect,
  type CircuitSettings,
  type DeadLetter,
  type LuaArg,
  type RedisClient,
  type RedisKeys,
} from '@herald/shared';

const SETTLE = new LuaScript(join(__dirname, '..', 'lua', 'settle-n.lua'));

export interface SettleLimits {
  /** Attempts kept per webhook. */
  logSize: number;
  /** Attempts kept per event. */
  eventAttemptsKept: number;
  /** How long an event's attempt list is kept, in ms; 0 keeps none. */
  eventAttemptsTtlMs: number;
  /** How long a settled-deliveries marker outlives its last write, in ms. */
  markerTtlMs: number;
  /** Approximate cap of the invalid entries stream. */
  invalidMaxLen: number;
  /** A webhook failing continuously this long is to be disabled, in ms. */
  disableAfterMs: number;
}

export interface CircuitRecord {
  effect: CircuitEffect;
  /** The delivery's identity: the probe's, while half-open. */
  token: string;
  startedAtMs: number;
}

/** One webhook's part of a batch. */
export interface WebhookSettlements {
  webhookId: string;
  /** Attempt JSONs, oldest first. */
  attempts: string[];
  outcomes: Map<string, number>;
  durationMsTotal: number;
  circuit?: { settings: CircuitSettings; records: CircuitRecord[] };
}

export interface SettleBatch {
  webhooks: WebhookSettlements[];
  /** Attempts by outcome, of producers' events and of Herald's own operational events. */
  totals: { events: Map<string, number>; operational: Map<string, number> };
  /**
   * Each event's new attempts, oldest first, for its own attempt list: each as [webhook index in
   * `webhooks`, attempt index in its `attempts`] (the JSON is sent once, for both lists).
   */
  eventAttempts: Map<string, [webhook: number, attempt: number][]>;
  park: DeadLetter[];
  clear: { id: string; webhookId: string; tenant: string }[];
  /** Per event, the webhooks settled while its entry still has deliveries in flight. */
  markers: Map<string, string[]>;
  /** Entries finished, to acknowledge. */
  acks: string[];
  /** Events whose markers go with their entry's acknowledgement. */
  dropMarkers: string[];
  /** Events fanned out, by `<tenant>:<type>`. */
  counts: Map<string, number>;
  /** Of the entries finished, how many were producers' events and how many Herald's own. */
  finished: { events: number; operational: number };
  invalid: { entryId: string; reason: string; fields: string[]; at: string }[];
}

export function emptyBatch(): SettleBatch {
  return {
    webhooks: [], totals: { events: new Map(), operational: new Map() }, eventAttempts: new Map(), park: [], clear: [], markers: new Map(),
    acks: [], dropMarkers: [], counts: new Map(), finished: { events: 0, operational: 0 }, invalid: [],
  };
}

/** Writes the batch; returns the circuit changes of the webhooks where something changed. */
export async function settle(redis: RedisClient, keys: RedisKeys, batch: SettleBatch, limits: SettleLimits, nowMs: number = Date.now()): Promise<Map<string, CircuitChanges>> {
  const { keys: scriptKeys, args } = settleArguments(keys, batch, limits, nowMs);
  const reply = (await SETTLE.run(redis, scriptKeys, args)) as unknown[];
  const changes = new Map<string, CircuitChanges>();
  for (let i = 0; i + 2 < reply.length; i += 3) changes.set(String(reply[i]), readCircuitChanges(reply[i + 1], reply[i + 2]));
  return changes;
}

function settleArguments(keys: RedisKeys, batch: SettleBatch, limits: SettleLimits, nowMs: number): { keys: string[]; args: LuaArg[] } {
  const minute = Math.floor(nowMs / 60_000);
  const k: string[] = [
    keys.globalStats, keys.deadLetters, keys.deadLettersByTime, keys.eventsStream, keys.invalidEventsStream,
    keys.eventTypeCounts, keys.eventsInMinute(minute), keys.openCircuits, keys.operationalStats, keys.operationalEventsInMinute(minute),
    keys.webhooks,
  ];
  const a: LuaArg[] = [
    limits.logSize, limits.eventAttemptsKept, Math.ceil(limits.eventAttemptsTtlMs / 1000), limits.markerTtlMs,
    limits.invalidMaxLen, limits.disableAfterMs, FANOUT_GROUP,
  ];

  a.push(batch.webhooks.length);
  for (const w of batch.webhooks) {
    k.push(keys.attempts(w.webhookId), keys.webhookStats(w.webhookId), keys.circuit(w.webhookId));
    a.push(w.webhookId, w.attempts.length, ...w.attempts, w.outcomes.size);
    for (const [outcome, count] of w.outcomes) a.push(outcome, count);
    a.push(Math.round(w.durationMsTotal));
    const records = w.circuit?.records ?? [];
    a.push(records.length);
    if (w.circuit && records.length > 0) {
      const s = w.circuit.settings;
      a.push(s.enabled ? 1 : 0, s.failureThreshold, s.failureRatio, s.windowMs, s.cooldownMs);
      for (const r of records) a.push(r.effect, r.token, r.startedAtMs);
    }
  }

  for (const totals of [batch.totals.events, batch.totals.operational]) {
    a.push(totals.size);
    for (const [outcome, count] of totals) a.push(outcome, count);
  }

  // ---- per-minute delivery outcomes: the section of settle-n.lua's block of that name ----
  k.push(keys.deliveriesInMinute(minute));
  a.push(DELIVERIES_PER_MINUTE_TTL_SECONDS, batch.totals.events.size);
  for (const [outcome, count] of batch.totals.events) a.push(outcome, count);
  // ---- end of per-minute delivery outcomes ----

  const eventLists = limits.eventAttemptsTtlMs > 0 ? [...batch.eventAttempts] : [];
  // The script numbers the attempts of all webhooks in order, from 1.
  const firstOf: number[] = [];
  batch.webhooks.reduce((next, w, i) => ((firstOf[i] = next), next + w.attempts.length), 1);
  a.push(eventLists.length);
  for (const [eventId, attempts] of eventLists) {
    k.push(keys.eventAttempts(eventId));
    a.push(attempts.length, ...attempts.map(([w, i]) => (firstOf[w] as number) + i));
  }

  a.push(batch.park.length);
  for (const deadLetter of batch.park) {
    const { id, json, score } = DeadLetterStore.encode(deadLetter);
    k.push(keys.deadLettersOfWebhook(deadLetter.webhookId), keys.deadLettersOfTenant(deadLetter.tenant));
    a.push(id, json, score);
  }

  a.push(batch.clear.length);
  for (const cleared of batch.clear) {
    k.push(keys.deadLettersOfWebhook(cleared.webhookId), keys.deadLettersOfTenant(cleared.tenant));
    a.push(cleared.id);
  }

  a.push(batch.markers.size);
  for (const [eventId, webhookIds] of batch.markers) {
    k.push(keys.settledDeliveries(eventId));
    a.push(webhookIds.length, ...webhookIds);
  }

  a.push(batch.acks.length, ...batch.acks);
  a.push(batch.dropMarkers.length);
  for (const eventId of batch.dropMarkers) k.push(keys.settledDeliveries(eventId));
  a.push(batch.counts.size);
  for (const [field, count] of batch.counts) a.push(field, count);
  a.push(batch.finished.events, batch.finished.operational);
  a.push(batch.invalid.length);
  for (const entry of batch.invalid) a.push(entry.entryId, entry.reason, JSON.stringify(entry.fields), entry.at);

  return { keys: k, args: a };
}
