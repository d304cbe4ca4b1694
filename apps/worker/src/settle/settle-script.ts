// The typed wrapper of settle-n.lua: a batch of settled deliveries and finished stream entries, by
// name, packed into one argument (msgpack) that the script unpacks once, with every key it touches
// in KEYS (the batch names them by their place there); and its reply read back.
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import {
  DELIVERIES_PER_MINUTE_TTL_SECONDS,
  PartitionDeadLetters,
  FANOUT_GROUP,
  LuaScript,
  readCircuitChanges,
  type CircuitChanges,
  type CircuitEffect,
  type CircuitSettings,
  type DeadLetter,
  type RedisClient,
  type RedisKeys,
  type StoredEvent,
  type FifoHead,
  readFifoHeads,
} from '@herald/shared';

const SETTLE = new LuaScript(join(__dirname, 'settle-n.lua'));
/** Plain msgpack maps and arrays, as Redis's cmsgpack reads them (no msgpackr extensions). */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export interface SettleLimits {
  /** Attempts kept per webhook. */
  logSize: number;
  /** Attempts kept per event. */
  eventAttemptsKept: number;
  /** How long an event's attempt list is kept, in ms; 0 keeps none. */
  eventAttemptsTtlMs: number;
  /** How long a settled-deliveries marker lives from when it is made, in ms. */
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

/** A delivery parked while its webhook's circuit is open; `backlogFull` is its dead letter if the webhook has too many parked. */
export interface ParkedSettlement {
  webhookId: string;
  event: StoredEvent;
  attemptsBefore: number;
  replay: number;
  maxBacklog: number;
  backlogFull: DeadLetter;
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
  /** Deliveries that failed for good, their events' payloads kept for them; `payloadHeld`: the delivery had a reference already (it waited as a job). */
  deadLetters: { deadLetter: DeadLetter; payloadHeld: boolean }[];
  /** Replayed deliveries that succeeded: their dead letters go. */
  cleared: { id: string; webhookId: string; tenant: string }[];
  parks: ParkedSettlement[];
  /**
   * Per entry's marker id (EntryRef.markerId), the deliveries settled while it still has others in
   * flight; `fresh`: the marker is made by this batch (its TTL set then).
   */
  markers: Map<string, { settled: string[]; fresh: boolean }>;
  /** Entries finished, to acknowledge. */
  acks: string[];
  /** Marker ids whose markers go with their entry's acknowledgement. */
  dropMarkers: string[];
  /** Events fanned out, by `<tenant>:<type>`. */
  counts: Map<string, number>;
  /** Of the entries finished, how many were producers' events and how many Herald's own. */
  finished: { events: number; operational: number };
  invalid: { entryId: string; reason: string; fields: string[]; at: string }[];
  /** FIFO heads done: their lines move on, or wait blocked (`info`: the blocked head's details, JSON). */
  fifo: FifoSettlement[];
}

/** A FIFO line's head is done: `advance` (delivered, skipped, dead-lettered under skip) or `block`. */
export interface FifoSettlement {
  webhookId: string;
  line: string;
  member: string;
  /** Which sending of the head the job was (a job of an earlier sending, replaced by recovery, moves nothing). */
  n: number;
  action: 'advance' | 'block';
  info?: string;
}

export function emptyBatch(): SettleBatch {
  return {
    webhooks: [], totals: { events: new Map(), operational: new Map() }, eventAttempts: new Map(), deadLetters: [], cleared: [], parks: [],
    markers: new Map(), acks: [], dropMarkers: [], counts: new Map(), finished: { events: 0, operational: 0 }, invalid: [], fifo: [],
  };
}

export interface SettleResult {
  /** The circuit changes of the webhooks where something changed. */
  circuits: Map<string, CircuitChanges>;
  /** Webhooks with a delivery dead-lettered because too many of theirs were parked. */
  backlogFull: string[];
  /** FIFO heads the batch sent out (their lines moved on): their jobs are to be made. */
  fifoHeads: FifoHead[];
}

/** Writes the batch. */
export async function settle(redis: RedisClient, keys: RedisKeys, batch: SettleBatch, limits: SettleLimits, nowMs: number = Date.now()): Promise<SettleResult> {
  const { keys: scriptKeys, packed } = pack(keys, batch, limits, nowMs);
  const [changes, backlogFull, sent] = (await SETTLE.run(redis, scriptKeys, [packed])) as [unknown[], string[], unknown[]];
  const circuits = new Map<string, CircuitChanges>();
  for (let i = 0; i + 2 < changes.length; i += 3) circuits.set(String(changes[i]), readCircuitChanges(changes[i + 1], changes[i + 2]));
  return { circuits, backlogFull: [...new Set(backlogFull.map(String))], fifoHeads: readFifoHeads(sent) };
}

/** Keys in the order the script gets them; the batch names each by its place (from 1). */
class KeyList {
  readonly keys: string[] = [];
  private readonly places = new Map<string, number>();

  add(key: string): number {
    let place = this.places.get(key);
    if (place === undefined) {
      place = this.keys.push(key);
      this.places.set(key, place);
    }
    return place;
  }
}

/**
 * A dead letter as the script parks it: its keys' places and its stored JSON; with `event`, the
 * event's JSON, a reference to its payload is taken (not for a delivery that held one already as
 * a job, nor for a parked delivery's dead letter, which takes the parking's).
 */
function deadLetterDoc(k: KeyList, keys: RedisKeys, deadLetter: DeadLetter, event: string | false) {
  const { id, json, score } = PartitionDeadLetters.encode(deadLetter);
  return {
    id, json, score, event,
    byWebhook: k.add(keys.deadLettersOfWebhook(deadLetter.webhookId)), byTenant: k.add(keys.deadLettersOfTenant(deadLetter.tenant)),
    payload: k.add(keys.payload(deadLetter.event.id)),
  };
}

function pack(keys: RedisKeys, batch: SettleBatch, limits: SettleLimits, nowMs: number): { keys: string[]; packed: Buffer } {
  const minute = Math.floor(nowMs / 60_000);
  const k = new KeyList();
  // The events stream first: on a cluster, KEYS[1] names the slot every key shares.
  const stream = k.add(keys.eventsStream);
  const eventLists = limits.eventAttemptsTtlMs > 0 ? [...batch.eventAttempts] : [];
  // The script numbers the attempts of all webhooks in order, from 1.
  const firstOf: number[] = [];
  batch.webhooks.reduce((next, w, i) => ((firstOf[i] = next), next + w.attempts.length), 1);
  const doc = {
    limits: {
      logKept: limits.logSize, eventKept: limits.eventAttemptsKept, eventTtlSeconds: Math.ceil(limits.eventAttemptsTtlMs / 1000),
      markerTtlMs: limits.markerTtlMs, invalidMaxLen: limits.invalidMaxLen, disableAfterMs: limits.disableAfterMs, group: FANOUT_GROUP,
      perMinuteTtlSeconds: DELIVERIES_PER_MINUTE_TTL_SECONDS,
    },
    keys: {
      // Whether a webhook still exists: its document when that shares the slot, else its partition's deleted marker.
      stream, invalid: k.add(keys.invalidEventsStream), webhooks: keys.partitioned ? false : k.add(keys.webhooks), openCircuits: k.add(keys.openCircuits),
      stats: k.add(keys.globalStats), operationalStats: k.add(keys.operationalStats), typeCounts: k.add(keys.eventTypeCounts),
      eventsMinute: k.add(keys.eventsInMinute(minute)), operationalMinute: k.add(keys.operationalEventsInMinute(minute)),
      deliveriesMinute: k.add(keys.deliveriesInMinute(minute)), deadLetters: k.add(keys.deadLetters), deadLettersByTime: k.add(keys.deadLettersByTime),
      parked: k.add(keys.parkedWebhooks),
    },
    webhooks: batch.webhooks.map((w) => {
      const records = w.circuit?.records ?? [];
      const s = w.circuit?.settings;
      return {
        id: w.webhookId, gone: keys.partitioned ? k.add(keys.deletedWebhook(w.webhookId)) : false, log: k.add(keys.attempts(w.webhookId)), stats: k.add(keys.webhookStats(w.webhookId)), circuit: k.add(keys.circuit(w.webhookId)),
        attempts: w.attempts, outcomes: [...w.outcomes], durationMs: Math.round(w.durationMsTotal),
        breaker: s && records.length > 0 ? { enabled: s.enabled, threshold: s.failureThreshold, ratio: s.failureRatio, windowMs: s.windowMs, cooldownMs: s.cooldownMs } : false,
        records: records.map((r) => [r.effect, r.token, r.startedAtMs]),
      };
    }),
    totals: { events: [...batch.totals.events], operational: [...batch.totals.operational] },
    eventAttempts: eventLists.map(([eventId, attempts]) => ({ key: k.add(keys.eventAttempts(eventId)), attempts: attempts.map(([w, i]) => (firstOf[w] as number) + i) })),
    deadLetters: batch.deadLetters.map((d) => deadLetterDoc(k, keys, d.deadLetter, !d.payloadHeld && JSON.stringify(d.deadLetter.event))),
    cleared: batch.cleared.map((c) => ({ id: c.id, byWebhook: k.add(keys.deadLettersOfWebhook(c.webhookId)), byTenant: k.add(keys.deadLettersOfTenant(c.tenant)) })),
    parks: batch.parks.map((p) => ({
      webhook: p.webhookId, eventId: p.event.id, event: JSON.stringify(p.event), attemptsBefore: p.attemptsBefore, replay: p.replay, maxBacklog: p.maxBacklog,
      parked: k.add(keys.parked(p.webhookId)), payload: k.add(keys.payload(p.event.id)), backlogFull: deadLetterDoc(k, keys, p.backlogFull, false),
    })),
    markers: [...batch.markers].map(([id, { settled, fresh }]) => ({ key: k.add(keys.settledDeliveries(id)), webhooks: settled, fresh })),
    acks: batch.acks,
    dropMarkers: batch.dropMarkers.map((id) => k.add(keys.settledDeliveries(id))),
    counts: [...batch.counts],
    finished: batch.finished,
    invalid: batch.invalid.map((entry) => [entry.entryId, entry.reason, JSON.stringify(entry.fields), entry.at]),
    fifo: batch.fifo.map((f) => [f.webhookId, f.line, f.member, f.n, f.action, f.info ?? '']),
    fifoPrefix: keys.fifo,
  };
  return { keys: k.keys, packed: packr.pack(doc) };
}
