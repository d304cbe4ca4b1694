// Writes what deliveries did, many at once: the jobs a batch needs first (retries, deferrals), then
// one script call (lua/settle-n.lua) for attempts, counters, circuits, dead letters and the stream
// entries the batch finishes. Batches form by themselves: while one is being written, the next
// gathers, so at low load each delivery is written alone and at high load hundreds share a call.
import type { Queue } from 'bullmq';
import {
  isOperationalEventType,
  redisReplyCode,
  type CircuitChanges,
  type CircuitSettings,
  type DeadLetter,
  type DeliveryAttempt,
  type DeliveryJobSpec,
  type Logger,
  type RedisClient,
  type RedisKeys,
} from '@herald/shared';
import type { Service } from '../service';
import { emptyBatch, settle, type CircuitRecord, type SettleBatch, type SettleLimits, type WebhookSettlements } from './settle-script';

/** A stream entry whose deliveries are under way; the fan-out makes one per entry it reads. */
export interface EntryRef {
  readonly entryId: string;
  readonly eventId: string;
  /** `<tenant>:<type>` the event is counted under when its entry is finished; undefined: not counted. */
  readonly countAs: string | undefined;
  /** The event is one of Herald's own (counted apart from producers'). */
  readonly operational: boolean;
  /** Its deliveries not settled yet. */
  unsettled: number;
  /** Markers of its settled deliveries exist in Redis (written by an earlier batch, or found by a claim). */
  marked: boolean;
}

/** What one delivery came to, to be written. */
export interface Settlement {
  webhookId: string;
  tenant: string;
  /** The attempt made, if one was (a deferred delivery has none). */
  attempt?: DeliveryAttempt;
  /** Why the attempt failed (the circuit_breaker.opened event says it). */
  failureReason?: string;
  deadLetter?: DeadLetter;
  /** A replayed delivery succeeded: its own dead letter goes, if still there. */
  clearDeadLetter?: boolean;
  circuit?: { settings: CircuitSettings; record: CircuitRecord };
  /** A job to add before anything else is written: the delivery's next attempt, or its first, deferred. */
  job?: DeliveryJobSpec;
  /** The stream entry the delivery came from: settled with it. */
  entry?: EntryRef;
}

export interface SettlerDeps {
  redis: RedisClient;
  keys: RedisKeys;
  queue: Queue;
  logger: Logger;
  limits: SettleLimits;
  /** Told of every circuit change a batch made (opened, closed, or "disable it"). */
  onCircuitChanges(webhook: { id: string; tenant: string }, changes: CircuitChanges, failureReason: string | undefined): void;
}

type Item =
  | { kind: 'delivery'; settlement: Settlement }
  | { kind: 'entry'; entry: EntryRef }
  | { kind: 'invalid'; entryId: string; reason: string; fields: string[] };
type Pending = Item & { resolve(): void; reject(error: Error): void };

/** Items written by one script call at most: bounds how long one call holds Redis. */
const MAX_BATCH = 500;
/** Failed writes are tried again this often before their deliveries are given up as unsettled. */
const WRITE_TRIES = 6;

export class Settler implements Service {
  readonly name = 'settler';
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;

  constructor(private readonly deps: SettlerDeps) {}

  async start(): Promise<void> {}

  /** Writes what is still pending. */
  async stop(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Resolves once the delivery's outcome (and its job, if any) is in Redis. */
  settle(settlement: Settlement): Promise<void> {
    return this.enqueue({ kind: 'delivery', settlement });
  }

  /** Acknowledges an entry that has no deliveries (nothing matched, or a duplicate). */
  finish(entry: EntryRef): Promise<void> {
    return this.enqueue({ kind: 'entry', entry });
  }

  /** Moves an entry that is not an event to the invalid stream, with the reason, and acknowledges it. */
  invalid(entryId: string, reason: string, fields: string[]): Promise<void> {
    return this.enqueue({ kind: 'invalid', entryId, reason, fields });
  }

  private enqueue(item: Item): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ...item, resolve, reject } as Pending);
      // The next turn of the event loop: what finishes in this one joins the batch.
      this.writing ??= new Promise<void>((started) => setImmediate(started)).then(() => this.writeAll());
    });
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const items = this.pending.splice(0, MAX_BATCH);
        try {
          await this.write(items);
          for (const item of items) item.resolve();
        } catch (error) {
          this.deps.logger.error({ err: error, items: items.length }, 'could not write settled deliveries; their entries stay pending and will be claimed again');
          for (const item of items) item.reject(error as Error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(items: readonly Pending[]): Promise<void> {
    const jobs = items.flatMap((item) => (item.kind === 'delivery' && item.settlement.job ? [item.settlement.job] : []));
    if (jobs.length > 0) await this.tried('add delivery jobs', () => this.deps.queue.addBulk(jobs));
    const { batch, webhooks, failures } = this.build(items);
    const changes = await this.tried('settle deliveries', () => settle(this.deps.redis, this.deps.keys, batch, this.deps.limits));
    for (const [webhookId, change] of changes) {
      const webhook = webhooks.get(webhookId);
      if (webhook) this.deps.onCircuitChanges(webhook, change, failures.get(webhookId));
    }
  }

  /** Runs `write` until it succeeds: Redis being away is waited out; an error Redis answers is tried a few times. */
  private async tried<T>(what: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (redisReplyCode(error) !== undefined && attempt >= WRITE_TRIES) throw error;
        this.deps.logger.warn({ err: (error as Error).message, attempt }, `could not ${what}; trying again`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5000)));
      }
    }
  }

  /** The script's batch. Settles entries as it goes: each entry is counted down once, here. */
  private build(items: readonly Pending[]) {
    const batch: SettleBatch = emptyBatch();
    const groups = new Map<string, WebhookSettlements & { index: number }>();
    const webhooks = new Map<string, { id: string; tenant: string }>();
    const failures = new Map<string, string>();
    const entries = new Map<string, EntryRef>();

    const finish = (entry: EntryRef) => {
      batch.acks.push(entry.entryId);
      // Markers written earlier go with the acknowledgement; one written in this batch is not written.
      if (entry.marked) batch.dropMarkers.push(entry.eventId);
      batch.markers.delete(entry.eventId);
      if (entry.countAs === undefined) return;
      batch.counts.set(entry.countAs, (batch.counts.get(entry.countAs) ?? 0) + 1);
      if (entry.operational) batch.finished.operational += 1;
      else batch.finished.events += 1;
    };

    for (const item of items) {
      if (item.kind === 'invalid') {
        batch.invalid.push({ entryId: item.entryId, reason: item.reason, fields: item.fields, at: new Date().toISOString() });
        batch.acks.push(item.entryId);
        continue;
      }
      if (item.kind === 'entry') {
        finish(item.entry);
        continue;
      }
      const s = item.settlement;
      webhooks.set(s.webhookId, { id: s.webhookId, tenant: s.tenant });
      let group = groups.get(s.webhookId);
      if (!group) {
        group = { webhookId: s.webhookId, attempts: [], outcomes: new Map(), durationMsTotal: 0, index: groups.size };
        groups.set(s.webhookId, group);
      }
      if (s.attempt) {
        const at: [number, number] = [group.index, group.attempts.push(JSON.stringify(s.attempt)) - 1];
        group.outcomes.set(s.attempt.outcome, (group.outcomes.get(s.attempt.outcome) ?? 0) + 1);
        const totals = isOperationalEventType(s.attempt.eventType) ? batch.totals.operational : batch.totals.events;
        totals.set(s.attempt.outcome, (totals.get(s.attempt.outcome) ?? 0) + 1);
        group.durationMsTotal += s.attempt.durationMs;
        const list = batch.eventAttempts.get(s.attempt.eventId);
        if (list) list.push(at);
        else batch.eventAttempts.set(s.attempt.eventId, [at]);
        if (s.clearDeadLetter) batch.clear.push({ id: s.attempt.deliveryId, webhookId: s.webhookId, tenant: s.tenant });
      }
      if (s.circuit) {
        group.circuit ??= { settings: s.circuit.settings, records: [] };
        group.circuit.records.push(s.circuit.record);
      }
      if (s.failureReason) failures.set(s.webhookId, s.failureReason);
      if (s.deadLetter) batch.park.push(s.deadLetter);
      if (s.entry) {
        const entry = s.entry;
        entries.set(entry.eventId, entry);
        entry.unsettled -= 1;
        if (entry.unsettled <= 0) finish(entry);
        else {
          const marked = batch.markers.get(entry.eventId);
          if (marked) marked.push(s.webhookId);
          else batch.markers.set(entry.eventId, [s.webhookId]);
        }
      }
    }
    for (const eventId of batch.markers.keys()) {
      const entry = entries.get(eventId);
      if (entry) entry.marked = true;
    }
    batch.webhooks = [...groups.values()];
    return { batch, webhooks, failures };
  }
}
