// Writes what deliveries did, many at once: the jobs a batch needs first (retries, deferrals), their
// events' payloads stored before them, then one script call (settle-n.lua) for attempts, counters,
// circuits, dead letters, parked deliveries and the stream entries the batch finishes. Batches form by themselves: while one is being written, the next
// gathers, so at low load each delivery is written alone and at high load hundreds share a call.
import type { Queue } from 'bullmq';
import {
  PayloadStore,
  isOperationalEventType,
  isRedisOutOfMemory,
  redisReplyCode,
  type CircuitChanges,
  type CircuitSettings,
  type DeadLetter,
  type DeliveryAttempt,
  type DeliveryJobSpec,
  type Logger,
  type RedisClient,
  type RedisKeys,
  type RoutedMarkers,
  type StoredEvent,
  type FifoHead,
} from '@herald/shared';
import type { Service } from '../service';
import { emptyBatch, settle, type CircuitRecord, type FifoSettlement, type ParkedSettlement, type SettleBatch, type SettleLimits, type WebhookSettlements } from './settle-script';

/** A stream entry whose deliveries are under way; the fan-out makes one per entry it reads. */
export interface EntryRef {
  readonly entryId: string;
  /**
   * What its settled deliveries are marked under (`RedisKeys.settledDeliveries`): its event's id,
   * each delivery marked by its webhook's id; for an entry of several events (routed here from
   * another partition), its own entry id, each delivery marked by its delivery id.
   */
  readonly markerId: string;
  /** The entry carries several events: its deliveries are marked by their delivery ids. */
  readonly manyEvents?: boolean;
  /** `<tenant>:<type>` the event is counted under when its entry is finished; undefined: not counted. */
  readonly countAs: string | undefined;
  /** The event is one of Herald's own (counted apart from producers'). */
  readonly operational: boolean;
  /** Its deliveries not settled yet. */
  unsettled: number;
  /** Markers of its settled deliveries exist in Redis (written by an earlier batch, or found by a claim). */
  marked: boolean;
  /**
   * A write carrying one of its settlements failed: it is never acknowledged here (later
   * settlements only mark themselves settled), so that a worker claiming it runs the lost ones again.
   */
  broken?: boolean;
  /** With partitions: its events routed into other partitions, whose markers there go once it is acknowledged. */
  routedTo?: RoutedMarkers[] | undefined;
}

/** What one delivery came to, to be written. */
export interface Settlement {
  webhookId: string;
  tenant: string;
  /** The attempt made, if one was (a deferred delivery has none). */
  attempt?: DeliveryAttempt;
  /** Why the attempt failed (the circuit_breaker.opened event says it). */
  failureReason?: string;
  /** The delivery failed for good: its dead letter (its event's payload is kept for it). */
  deadLetter?: DeadLetter;
  /**
   * The delivery holds a reference to its event's payload already (it waited as a job naming its
   * event): its dead letter takes it over rather than taking another.
   */
  payloadHeld?: boolean;
  /** The delivery waits parked, its circuit open (or, past the webhook's backlog, is dead-lettered). */
  park?: ParkedSettlement;
  /** A replayed delivery succeeded: its own dead letter goes, if still there. */
  clearDeadLetter?: boolean;
  circuit?: { settings: CircuitSettings; record: CircuitRecord };
  /**
   * A job to add before anything else is written: the delivery's next attempt, or its first,
   * deferred; with the event whose payload it refers to (stored before the job).
   */
  queued?: { job: DeliveryJobSpec; event: StoredEvent };
  /** The stream entry the delivery came from: settled with it. */
  entry?: EntryRef;
  /** The delivery was a FIFO line's head: its line moves on, or waits blocked. */
  fifo?: FifoSettlement;
  /** The delivery's id: what marks it settled in an entry of several events (`EntryRef.manyEvents`). */
  deliveryId?: string;
}

export interface SettlerDeps {
  redis: RedisClient;
  keys: RedisKeys;
  queue: Queue;
  logger: Logger;
  limits: SettleLimits;
  /** Told of every circuit change a batch made (opened, closed, or "disable it"). */
  onCircuitChanges(webhook: { id: string; tenant: string }, changes: CircuitChanges, failureReason: string | undefined): void;
  /** Told of each webhook a batch dead-lettered a delivery of because it had `maxBacklog` parked. */
  onBacklogFull(webhook: { id: string; tenant: string }, maxBacklog: number): void;
  /** Told of the FIFO heads a batch sent out (their lines moved on): their jobs are to be made. */
  onFifoHeads?(heads: FifoHead[]): void;
  /**
   * How often a write Redis refuses is tried, and the first wait between tries (doubled each time).
   * @defaultValue WRITE_TRIES, FIRST_RETRY_WAIT_MS
   */
  retry?: { tries: number; firstWaitMs: number };
}

type Item =
  | { kind: 'delivery'; settlement: Settlement }
  | { kind: 'entry'; entry: EntryRef }
  | { kind: 'invalid'; entryId: string; reason: string; fields: string[] };
type Pending = Item & { resolve(): void; reject(error: Error): void };

/** Items written by one script call at most: bounds how long one call holds Redis. */
const MAX_BATCH = 500;
/**
 * A write Redis refuses (an error reply, or no reply in time while connected) is tried this often
 * before its deliveries are given up as unsettled; while Redis is away, writes wait for it. A
 * write retried after its reply was lost runs twice, and a script Redis stops with an error keeps
 * what it wrote before it (acknowledgements come last, so none is made): acknowledgements, markers
 * and dead letters do not mind, counters and logs may count an attempt twice.
 */
const WRITE_TRIES = 6;
/** The first wait before trying a write again, doubled each time up to MAX_RETRY_WAIT_MS. */
const FIRST_RETRY_WAIT_MS = 200;
const MAX_RETRY_WAIT_MS = 5000;

export class Settler implements Service {
  readonly name = 'settler';
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  /** Items taken by the write in progress. */
  private inWrite = 0;
  private backlogWaiters: { below: number; resolve: () => void }[] = [];
  private readonly payloads: PayloadStore;

  constructor(private readonly deps: SettlerDeps) {
    this.payloads = new PayloadStore(deps.redis, deps.keys);
  }

  async start(): Promise<void> {}

  /** Writes what is still pending. */
  async stop(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Settlements not yet written: the fan-out reads no more while this is large (Redis is slow or away). */
  get backlog(): number {
    return this.pending.length + this.inWrite;
  }

  /** Resolves once fewer than `below` settlements wait to be written. */
  whenBacklogBelow(below: number): Promise<void> {
    if (this.backlog < below) return Promise.resolve();
    return new Promise((resolve) => this.backlogWaiters.push({ below, resolve }));
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
        this.inWrite = items.length;
        try {
          await this.write(items);
          for (const item of items) item.resolve();
        } catch (error) {
          // One bad item must not sink the others: each is written alone, once more.
          if (items.length > 1) await this.writeAlone(items);
          else this.giveUp(items, error as Error);
        }
        this.inWrite = 0;
        this.announceBacklog();
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeAlone(items: readonly Pending[]): Promise<void> {
    for (const item of items) {
      try {
        await this.write([item]);
        item.resolve();
      } catch (error) {
        this.giveUp([item], error as Error);
      }
    }
  }

  private giveUp(items: readonly Pending[], error: Error): void {
    this.deps.logger.error({ err: error, items: items.length }, 'could not write settled deliveries; their entries stay pending and will be claimed again');
    for (const item of items) {
      if (item.kind === 'delivery' && item.settlement.entry) item.settlement.entry.broken = true;
      if (item.kind === 'entry') item.entry.broken = true;
      item.reject(error);
    }
  }

  private announceBacklog(): void {
    const backlog = this.backlog;
    const ready = this.backlogWaiters.filter((waiter) => backlog < waiter.below);
    if (ready.length === 0) return;
    this.backlogWaiters = this.backlogWaiters.filter((waiter) => backlog >= waiter.below);
    for (const waiter of ready) waiter.resolve();
  }

  /**
   * Adds the jobs the items need (their events' payloads stored first), then writes the items; the
   * entries count down only once that succeeded.
   */
  private async write(items: readonly Pending[]): Promise<void> {
    const queued = items.flatMap((item) => (item.kind === 'delivery' && item.settlement.queued ? [item.settlement.queued] : []));
    if (queued.length > 0) {
      await this.tried('store payloads', () => this.payloads.retain(queued.map(({ event }) => event)));
      await this.tried('add delivery jobs', () => this.deps.queue.addBulk(queued.map(({ job }) => job)));
    }
    const { batch, groups, commit } = this.build(items);
    const result = await this.tried('settle deliveries', () => settle(this.deps.redis, this.deps.keys, batch, this.deps.limits));
    commit();
    for (const [webhookId, change] of result.circuits) {
      const group = groups.get(webhookId);
      if (group) this.deps.onCircuitChanges({ id: webhookId, tenant: group.tenant }, change, group.failureReason);
    }
    if (result.fifoHeads.length > 0) this.deps.onFifoHeads?.(result.fifoHeads);
    for (const webhookId of result.backlogFull) {
      const parked = batch.parks.find((p) => p.webhookId === webhookId);
      if (parked) this.deps.onBacklogFull({ id: webhookId, tenant: parked.event.tenant }, parked.maxBacklog);
    }
  }

  /**
   * Runs `write` until it succeeds or gives up: while Redis is away (the connection not ready) or
   * full (an OOM reply: nothing of the write was kept) it waits for it, however long; the fan-out
   * stops reading meanwhile, as the settlements pile up. Any other error while connected (an error
   * reply, no reply in time) is tried WRITE_TRIES times.
   */
  private async tried<T>(what: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        const { tries, firstWaitMs } = this.deps.retry ?? { tries: WRITE_TRIES, firstWaitMs: FIRST_RETRY_WAIT_MS };
        const away = this.deps.redis.status !== 'ready';
        const full = isRedisOutOfMemory(error);
        if (!away && !full && attempt >= tries) throw error;
        const why = full ? 'Redis is out of memory (maxmemory)' : (error as Error).message;
        this.deps.logger.warn({ err: why, code: redisReplyCode(error), attempt }, `could not ${what}; trying again`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(firstWaitMs * 2 ** (attempt - 1), MAX_RETRY_WAIT_MS)));
      }
    }
  }

  /**
   * The script's batch, and `commit`, which counts the entries down once the batch is written (a
   * batch that fails leaves them as they were). An entry is acknowledged with its last settlement,
   * unless it is broken; before that, its settled deliveries are marked.
   */
  private build(items: readonly Pending[]) {
    const batch: SettleBatch = emptyBatch();
    const groups = new Map<string, Group>();
    /** Per entry: its settlements in this batch, and whether this batch marks some of them. */
    const counted = new Map<EntryRef, { settled: number; marks: boolean }>();

    const finish = (entry: EntryRef) => {
      batch.acks.push(entry.entryId);
      // Markers written earlier go with the acknowledgement; one written in this batch is not written.
      if (entry.marked) batch.dropMarkers.push(entry.markerId);
      batch.markers.delete(entry.markerId);
      const count = counted.get(entry);
      if (count) count.marks = false;
      if (entry.countAs === undefined) return;
      batch.counts.set(entry.countAs, (batch.counts.get(entry.countAs) ?? 0) + 1);
      if (entry.operational) batch.finished.operational += 1;
      else batch.finished.events += 1;
    };
    const settleEntry = (entry: EntryRef, settled: string) => {
      const count = counted.get(entry) ?? { settled: 0, marks: false };
      counted.set(entry, count);
      count.settled += 1;
      if (entry.unsettled - count.settled <= 0 && !entry.broken) return finish(entry);
      count.marks = true;
      const marked = batch.markers.get(entry.markerId);
      if (marked) marked.settled.push(settled);
      else batch.markers.set(entry.markerId, { settled: [settled], fresh: !entry.marked });
    };

    for (const item of items) {
      if (item.kind === 'invalid') {
        batch.invalid.push({ entryId: item.entryId, reason: item.reason, fields: item.fields, at: new Date().toISOString() });
        batch.acks.push(item.entryId);
        continue;
      }
      if (item.kind === 'entry') {
        if (!item.entry.broken) finish(item.entry);
        continue;
      }
      const s = item.settlement;
      // A deferral (a job, no attempt) writes nothing for its webhook.
      if (s.attempt || s.circuit) {
        let group = groups.get(s.webhookId);
        if (!group) {
          group = { webhookId: s.webhookId, tenant: s.tenant, attempts: [], outcomes: new Map(), durationMsTotal: 0, index: groups.size };
          groups.set(s.webhookId, group);
        }
        if (s.attempt) addAttempt(batch, group, s.attempt, s);
        if (s.circuit) {
          group.circuit ??= { settings: s.circuit.settings, records: [] };
          group.circuit.records.push(s.circuit.record);
        }
        if (s.failureReason) group.failureReason = s.failureReason;
      }
      if (s.deadLetter) batch.deadLetters.push({ deadLetter: s.deadLetter, payloadHeld: s.payloadHeld === true });
      if (s.park) batch.parks.push(s.park);
      if (s.fifo) batch.fifo.push(s.fifo);
      if (s.entry) settleEntry(s.entry, s.entry.manyEvents ? (s.deliveryId ?? s.webhookId) : s.webhookId);
    }
    batch.webhooks = [...groups.values()];
    const commit = () => {
      for (const [entry, count] of counted) {
        entry.unsettled -= count.settled;
        if (count.marks) entry.marked = true;
      }
    };
    return { batch, groups, commit };
  }
}

/** A webhook's settlements in one batch, with what the circuit changes it causes are reported with. */
type Group = WebhookSettlements & { index: number; tenant: string; failureReason?: string };

/** One attempt into its webhook's group, the totals and its event's attempt list. */
function addAttempt(batch: SettleBatch, group: Group, attempt: DeliveryAttempt, s: Settlement): void {
  const at: [number, number] = [group.index, group.attempts.push(JSON.stringify(attempt)) - 1];
  group.outcomes.set(attempt.outcome, (group.outcomes.get(attempt.outcome) ?? 0) + 1);
  group.durationMsTotal += attempt.durationMs;
  const totals = isOperationalEventType(attempt.eventType) ? batch.totals.operational : batch.totals.events;
  totals.set(attempt.outcome, (totals.get(attempt.outcome) ?? 0) + 1);
  const list = batch.eventAttempts.get(attempt.eventId);
  if (list) list.push(at);
  else batch.eventAttempts.set(attempt.eventId, [at]);
  if (s.clearDeadLetter) batch.cleared.push({ id: attempt.deliveryId, webhookId: s.webhookId, tenant: s.tenant });
}
