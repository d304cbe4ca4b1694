// Reads the events stream as one consumer of the `fanout` group, as much as the worker's delivery
// slots can hold, and starts each event × matching webhook as a delivery in this worker. An entry
// is acknowledged once every delivery it made is settled (by the settler, with the last of them).
// Entries a dead consumer left pending are claimed and run again, without the deliveries already
// settled; entries held here a long time (slow endpoints) are claimed anew by this consumer so
// that no one else takes them meanwhile.
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  FANOUT_GROUP,
  LuaScript,
  decodeStreamEntry,
  EventsStream,
  isOperationalEventType,
  redisReplyCode,
  type CircuitBreaker,
  type EventRouter,
  type Logger,
  type RedisClient,
  type RedisKeys,
  type RoutedEvent,
  type RoutedMarkers,
  type StoredEvent,
  type Webhook,
  type WebhookRoute,
  deliveryIdFor,
  fifoLineOf,
  type FifoDelivery,
  type FifoLines,
  type Ordering,
} from '@herald/shared';
import type { WebhookRegistry } from '../webhooks/webhook-registry';
import type { WebhookDocuments } from '../webhooks/webhook-documents';
import { TypeFilters, type WebhookFilters } from '../webhooks/webhook-filters';
import type { WorkerMetrics } from '../metrics';
import type { Service } from '../service';
import type { DeliveryPolicies } from '../policies/delivery-policies';
import type { DeliverySlots } from '../policies/delivery-slots';
import type { OperationalEvents } from '../policies/operational-events';
import type { DirectDelivery, PlannedDelivery } from '../run/direct-delivery';
import type { EntryRef, Settler } from '../settle/settler';
import type { FifoDispatcher } from '../fifo/fifo-dispatcher';

export interface FanoutOptions {
  /** Most entries read at once. */
  batchSize: number;
  /** Entries idle this long in another consumer's pending list are claimed. */
  claimIdleMs: number;
  idempotencyTtlSeconds: number;
  /** rate_limit.exceeded goes out at most once per webhook in this window. */
  rateLimitEventWindowMs: number;
}

export interface FanoutDeps {
  /** A connection of its own: XREAD BLOCK (waiting for entries) holds it. */
  blocking: RedisClient;
  redis: RedisClient;
  keys: RedisKeys;
  webhooks: WebhookRegistry;
  documents: WebhookDocuments;
  filters: WebhookFilters;
  circuits: CircuitBreaker;
  policies: DeliveryPolicies;
  slots: DeliverySlots;
  direct: DirectDelivery;
  settler: Settler;
  events: OperationalEvents;
  metrics: WorkerMetrics;
  logger: Logger;
  /** With partitions: writes the deliveries of webhooks in other partitions into theirs. */
  router?: EventRouter;
  /** Ordered delivery: FIFO webhooks' deliveries go into their lines, whose heads are made jobs. */
  fifo: { lines: FifoLines; dispatcher: FifoDispatcher; markerTtlMs: number };
}

type StreamEntry = [id: string, fields: string[]];

/** An event's deliveries to webhooks of other partitions, to write into theirs before its entry is acknowledged. */
interface PendingRoute extends RoutedEvent {
  entry: EntryRef;
}

/**
 * What a claimed entry's markers call its routing into other partitions, once done (no webhook id
 * looks like it): the claim does not route it again.
 */
const ROUTED = '~routed';
/** The first wait before writing into a partition that failed again, doubled each time up to the most. */
const ROUTE_RETRY_FIRST_MS = 200;
const ROUTE_RETRY_MAX_MS = 5000;

/**
 * An event of an entry read; `direct`: written straight to the stream; `targets`: routed here from
 * another partition for these webhooks; `manyEvents`: its entry carries others too (a routed batch).
 */
interface ReadEvent {
  entryId: string;
  event: StoredEvent;
  direct: boolean;
  targets?: ReadonlySet<string>;
  manyEvents?: boolean;
}

/** What planning a batch needs besides its entries: the webhooks' version and the open circuits, read after them. */
interface BatchView {
  /** Unknown when it could not be read (with partitions, the global keys' master failing over): the webhooks known go on. */
  webhooksVersion: string | undefined;
  openCircuits: ReadonlySet<string>;
  /** The entries were recorded as being planned (the partition has FIFO webhooks): the FIFO lines must hear when they are. */
  fifoRecorded: boolean;
}

/** What an entry's FIFO deliveries are settled as, once in their lines (no webhook id looks like it). */
const FIFO_QUEUED = '~fifo';

const NO_ROUTES: WebhookRoute[] = [];
const NO_WEBHOOKS: Webhook[] = [];
const isFifo = (webhook: Webhook) => webhook.ordering?.mode === 'fifo';

const READ_ENTRIES = new LuaScript(join(__dirname, 'read-entries-n.lua'));
const FORGET_CONSUMERS = new LuaScript(join(__dirname, 'forget-consumers-1.lua'));

const BLOCK_MS = 1000;
/**
 * Settlements waiting to be written past which the fan-out stops reading (until half as many):
 * far above what a healthy Redis ever lets pile up (writes take a few ms for hundreds), reached
 * only when Redis is slow or away.
 */
const SETTLE_BACKLOG_LIMIT = 5000;
/** How long acknowledged routed events gather before their markers are let go in one command per partition. */
const FORGET_ROUTED_AFTER_MS = 100;
/** Weight of the newest batch in the moving average of slots held per entry read. */
const FANOUT_WEIGHT = 0.2;

export class FanoutConsumer implements Service {
  readonly name = 'fanout';
  readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private stopped!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stopped = resolve));
  /** Entries this consumer is delivering, and since when it (re)claimed them. */
  private readonly held = new Map<string, { entry: EntryRef; since: number }>();
  /** Deliveries and acknowledgements under way, so that stopping can wait for them. */
  private running = 0;
  private drained: (() => void) | undefined;
  /** Routed events whose entries are acknowledged, whose markers are let go shortly. */
  private routedDone = new Map<string, RoutedMarkers>();
  /** Moving average of the slots an entry read takes (its deliveries that go or wait here). */
  private deliveriesPerEntry = 1;
  /** The partition has FIFO webhooks (as the last read said): claimed entries are recorded as planned too. */
  private fifoOn = false;
  /**
   * Deliveries of entries routed here with several events, waiting for room in the slots: such an
   * entry may carry more deliveries than the worker has room for, and those beyond it start, in
   * order, as slots free up, rather than wait in the slots (whence they would be deferred to the queue).
   */
  private paced: PlannedDelivery[] = [];
  /** Resolves once `paced` is empty; the read loop reads no more until then. */
  private pacedDone: Promise<void> = Promise.resolve();
  private pacedDrained: () => void = () => undefined;

  constructor(
    private readonly deps: FanoutDeps,
    private readonly options: FanoutOptions,
  ) {}

  async start(): Promise<void> {
    await this.ensureGroup();
    this.loops = [this.readLoop(), this.reclaimLoop(), this.renewLoop()];
  }

  /** Stops reading; resolves once every delivery started is settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped();
    for (const wake of [...this.wakers]) wake();
    await Promise.all(this.loops);
    if (this.running > 0) await new Promise<void>((resolve) => (this.drained = resolve));
  }

  private ensureGroup(): Promise<void> {
    return new EventsStream(this.deps.redis, this.deps.keys).ensureGroup();
  }

  /**
   * Reads what the worker can take on (its free slots and a backlog as large, by the usual
   * deliveries per entry), plans it, and reads on. When busy it waits for a quarter of its capacity
   * to be free before reading again, so that it reads batches rather than an entry at a time, and
   * the backlog keeps the slots busy meanwhile. Entries already there come in one round trip with
   * what planning needs (read-entries-n.lua, on the connection blocking reads use, which has no
   * other traffic to wait behind); only when there are none does it block on the stream.
   */
  private async readLoop(): Promise<void> {
    const { slots } = this.deps;
    const lowWater = Math.max(1, Math.min(this.options.batchSize, Math.floor(slots.capacity / 4)));
    while (!this.stopping) {
      try {
        if (this.paced.length > 0) await Promise.race([this.pacedDone, this.stopSignal]);
        if (slots.room < lowWater) await Promise.race([slots.whenRoom(lowWater), this.stopSignal]);
        // Settlements that cannot be written (Redis slow or away) hold the reading back too.
        if (this.deps.settler.backlog >= SETTLE_BACKLOG_LIMIT) await Promise.race([this.deps.settler.whenBacklogBelow(SETTLE_BACKLOG_LIMIT / 2), this.stopSignal]);
        if (this.stopping) break;
        const count = Math.max(1, Math.min(this.options.batchSize, Math.floor(slots.room / this.deliveriesPerEntry)));
        const ready = await this.readReady(count);
        // Entries of a batch that fails stay pending in the group, and are claimed again after claimIdleMs.
        if (ready.entries.length > 0) {
          await this.handle(ready.entries, { claimed: false, view: ready.view });
          continue;
        }
        // Entries are read only by the script (which records them, with FIFO webhooks): wait for some here.
        await this.deps.blocking.xread('COUNT', 1, 'BLOCK', BLOCK_MS, 'STREAMS', this.deps.keys.eventsStream, ready.lastId ?? '$');
      } catch (error) {
        await this.recover(error as Error);
      }
    }
  }

  /**
   * Entries already waiting for this consumer, with the view to plan them by; when there are none,
   * the last entry's id (to wait for the next one after).
   */
  private async readReady(count: number): Promise<{ entries: StreamEntry[]; view: BatchView; lastId?: string }> {
    const { keys } = this.deps;
    const scriptKeys = [keys.eventsStream, keys.openCircuits, keys.fifoOn, keys.fifoPlanning, ...(keys.partitioned ? [] : [keys.webhooksVersion])];
    const reply = (await READ_ENTRIES.run(this.deps.blocking, scriptKeys, [FANOUT_GROUP, this.consumer, count])) as [StreamEntry[], string[], string | null, number, string | null];
    const [entries, open, version, fifo, lastId] = reply;
    this.fifoOn = Number(fifo) === 1;
    if (entries.length === 0) {
      return { entries, view: { webhooksVersion: undefined, openCircuits: new Set(), fifoRecorded: false }, ...(lastId ? { lastId: String(lastId) } : {}) };
    }
    // With partitions the version lives apart, under the global tag: read after the entries all the
    // same. Should its master be failing over, this partition goes on with the webhooks it knows.
    const webhooksVersion = version ?? (await this.deps.redis.get(keys.webhooksVersion).then((read) => read ?? '0', () => undefined));
    return { entries, view: { webhooksVersion: webhooksVersion === undefined ? undefined : String(webhooksVersion), openCircuits: new Set(open), fifoRecorded: this.fifoOn } };
  }

  /** Claims entries that a dead consumer left pending, and delivers them here. */
  private async reclaimLoop(): Promise<void> {
    const interval = Math.max(500, Math.floor(this.options.claimIdleMs / 2));
    while (!this.stopping) {
      await this.sleep(interval);
      if (this.stopping) return;
      try {
        let cursor = '0-0';
        do {
          // No more at once than the slots can take on, as for reads.
          if (this.deps.slots.room < 1) await Promise.race([this.deps.slots.whenRoom(1), this.stopSignal]);
          if (this.stopping) return;
          const count = Math.max(1, Math.min(this.options.batchSize, this.deps.slots.room));
          const [next, entries] = (await this.deps.redis.xautoclaim(
            this.deps.keys.eventsStream, FANOUT_GROUP, this.consumer,
            this.options.claimIdleMs, cursor, 'COUNT', count,
          )) as [string, (StreamEntry | null)[], ...unknown[]];
          const live = entries.filter((entry): entry is StreamEntry => entry !== null && !this.held.has(entry[0]));
          if (live.length > 0) {
            this.deps.logger.info({ count: live.length }, 'claimed entries left pending by another consumer');
            await this.handle(live, { claimed: true });
          }
          cursor = next;
        } while (cursor !== '0-0' && !this.stopping);
        await this.forgetDeadConsumers();
      } catch (error) {
        await this.recover(error as Error);
      }
    }
  }

  /**
   * Entries held here for a third of the claim delay (their endpoints are slow) are claimed anew by
   * this consumer, which resets their idle time: no other worker takes them while they are in hand.
   */
  private async renewLoop(): Promise<void> {
    const interval = Math.max(100, Math.floor(this.options.claimIdleMs / 3));
    // Also while draining: entries in hand stay this worker's until their deliveries are settled.
    while (!this.stopping || this.running > 0) {
      await (this.stopping ? delay(interval) : this.sleep(interval));
      if (this.held.size === 0) continue;
      const now = Date.now();
      const old = [...this.held].filter(([, held]) => now - held.since >= interval).map(([id]) => id);
      if (old.length === 0) continue;
      try {
        await this.deps.redis.xclaim(this.deps.keys.eventsStream, FANOUT_GROUP, this.consumer, 0, ...old, 'JUSTID');
        for (const id of old) {
          const held = this.held.get(id);
          if (held) held.since = now;
        }
      } catch (error) {
        this.deps.logger.warn({ err: (error as Error).message }, 'could not renew the entries in hand');
      }
    }
  }

  /** Waits `ms`, or less when the consumer stops. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /**
   * Every worker start joins the group under a new name; names of workers long gone, with nothing
   * pending, are removed so the group does not grow forever.
   */
  private async forgetDeadConsumers(): Promise<void> {
    const forgetAfterMs = Math.max(10 * this.options.claimIdleMs, 600_000);
    await FORGET_CONSUMERS.run(this.deps.redis, [this.deps.keys.eventsStream], [FANOUT_GROUP, this.consumer, forgetAfterMs]);
  }

  private async recover(error: Error): Promise<void> {
    if (this.stopping) return;
    if (redisReplyCode(error) === 'NOGROUP') {
      this.deps.logger.warn('events stream or fanout group vanished; recreating');
      const recreated = await this.ensureGroup().then(() => true, () => false);
      if (recreated) return;
    }
    this.deps.logger.error({ err: error }, 'fan-out failed; retrying');
    await this.sleep(1000);
  }

  /**
   * Plans a batch and starts its deliveries (without waiting for them): entries that are not
   * events go to the invalid stream; duplicates of an idempotency key and events no webhook wants
   * are acknowledged; each event × matching webhook goes now, or is deferred to the queue when its
   * circuit is open or its rate limit has no token. A claimed entry skips the deliveries a crashed
   * consumer had settled.
   */
  private async handle(entries: readonly StreamEntry[], { claimed, view }: { claimed: boolean; view?: BatchView }): Promise<void> {
    const openCircuits = await this.viewOf(view);
    const events = this.decode(entries);
    const { byEntry, routes, fifo } = await this.plan(events, claimed);
    await this.admit([...byEntry.values()].flat(), openCircuits);
    this.startDeliveries(byEntry);
    if (routes.length > 0) this.track(this.routeElsewhere(routes, claimed));
    // Entries recorded as being planned are now (claimed ones were recorded when first read).
    const recorded = view?.fifoRecorded ?? (claimed && this.fifoOn);
    if (fifo.size > 0 || recorded) this.queueFifo(entries.map(([id]) => id), fifo);
  }

  /**
   * Puts FIFO deliveries into their lines, with the batch recorded as planned, in one script call;
   * each entry's FIFO deliveries are then settled as one, and the heads that may go become jobs.
   */
  private queueFifo(entryIds: readonly string[], fifo: ReadonlyMap<EntryRef, FifoDelivery[]>): void {
    const { lines, dispatcher, markerTtlMs } = this.deps.fifo;
    const queued = lines.append(entryIds, [...fifo.values()].flat(), markerTtlMs).then((heads) => dispatcher.dispatch(heads));
    this.track(queued);
    for (const [entry, deliveries] of fifo) {
      const tenant = deliveries[0]?.event.tenant ?? '';
      // The script marked them settled for the entry: those markers go with its acknowledgement.
      const settled = queued.then(() => {
        entry.marked = true;
        return this.deps.settler.settle({ webhookId: FIFO_QUEUED, tenant, entry });
      });
      this.track(settled, entry);
    }
  }

  /** The webhooks brought up to date, and the open circuits: as read with the entries, or now. */
  private async viewOf(view: BatchView | undefined): Promise<ReadonlySet<string>> {
    if (view) {
      if (view.webhooksVersion !== undefined) await this.deps.webhooks.syncTo(view.webhooksVersion);
      return view.openCircuits;
    }
    const [, open] = await Promise.all([this.deps.webhooks.refresh(0), this.deps.circuits.openWebhookIds()]);
    return open;
  }

  /** The entries' events; an entry that is not one (or not events) goes to the invalid stream, with the reason. */
  private decode(entries: readonly StreamEntry[]): ReadEvent[] {
    const events: ReadEvent[] = [];
    for (const [entryId, fields] of entries) {
      const decoded = decodeStreamEntry(entryId, fields, this.deps.keys.partition);
      if (decoded.ok && 'routed' in decoded) {
        for (const { event, webhookIds } of decoded.routed) events.push({ entryId, event, direct: false, targets: new Set(webhookIds), manyEvents: true });
        continue;
      }
      if (decoded.ok) {
        events.push({ entryId, event: decoded.event, direct: !decoded.viaApi, ...(decoded.targets ? { targets: new Set(decoded.targets) } : {}) });
        continue;
      }
      this.deps.logger.warn({ entryId, reason: decoded.reason }, 'invalid stream entry');
      this.deps.metrics.invalidEntries.inc();
      this.track(this.deps.settler.invalid(entryId, decoded.reason, fields));
    }
    return events;
  }

  /**
   * Each entry and its deliveries: an event × each matching webhook (found by the tenant's index,
   * their documents read in one round trip for those not kept) whose payload filter, if it has
   * one, lets the event through; none for a duplicate of an idempotency key; for a claimed entry,
   * not those marked settled, and the others through the queue (its job may have been made
   * already, before the crash: BullMQ makes it once).
   */
  private async plan(
    events: readonly ReadEvent[],
    claimed: boolean,
  ): Promise<{ byEntry: Map<EntryRef, PlannedDelivery[]>; routes: PendingRoute[]; fifo: Map<EntryRef, FifoDelivery[]> }> {
    const direct = events.filter((e) => e.direct).map((e) => e.event);
    const duplicates = await this.findDuplicates(direct);
    const settledBefore = claimed ? await this.settledDeliveries(events) : new Map<string, Set<string>>();
    if (direct.length > duplicates.size) this.deps.metrics.eventsIngested.inc({ source: 'stream' }, direct.length - duplicates.size);
    const routesOf = new Map<StoredEvent, WebhookRoute[]>();
    // A batch's business events of one tenant and type go to the same webhooks: matched once.
    const routesByType = new Map<string, WebhookRoute[]>();
    const needed = new Map<string, WebhookRoute>();
    for (const { event, targets } of events) {
      if (duplicates.has(event)) continue;
      const settled = settledBefore.get(event.id);
      // Operational events skip the webhook they are about; claimed ones, the deliveries settled
      // before; an entry routed here from another partition goes to the webhooks it names, no others.
      const key = settled || targets || isOperationalEventType(event.type) ? undefined : `${event.tenant} ${event.type}`;
      let routes = key === undefined ? undefined : routesByType.get(key);
      if (routes === undefined) {
        routes = this.deps.webhooks.match(event).filter((route) => !settled?.has(route.id) && (!targets || targets.has(route.id)));
        if (key !== undefined) routesByType.set(key, routes);
        for (const route of routes) needed.set(route.id, route);
      }
      routesOf.set(event, routes);
    }
    const documents = await this.deps.documents.get(needed.values());
    const router = this.deps.router;
    // The enabled webhooks of each list of routes and their filters for the type, found once.
    const targetsOf = new Map<WebhookRoute[], TypeFilters>();
    const byEntry = new Map<EntryRef, PlannedDelivery[]>();
    const routes: PendingRoute[] = [];
    const fifo = new Map<EntryRef, FifoDelivery[]>();
    const filtered = new Map<string, number>();
    // An entry of several events has one EntryRef, counting down the deliveries of all of them.
    const manyEventEntries = new Map<string, EntryRef>();
    for (const { entryId, event, targets: routedHere, manyEvents } of events) {
      const duplicate = duplicates.has(event);
      const settled = settledBefore.get(event.id);
      const matched = routesOf.get(event) ?? NO_ROUTES;
      let targetFilters = targetsOf.get(matched);
      if (targetFilters === undefined) {
        // A document read since the routes (disabled a moment ago) has the last word.
        const enabled = matched.flatMap((route) => {
          const webhook = documents.get(route.id);
          return webhook?.enabled ? [webhook] : [];
        });
        // An entry routed here went through its webhooks' filters in the partition it came from.
        targetFilters = routedHere ? new TypeFilters(enabled, undefined) : this.deps.filters.forType(event.type, enabled);
        targetsOf.set(matched, targetFilters);
      }
      // An event a webhook's filter refuses is no delivery to it: no attempt, no job, only a count.
      const { passed: targets, refused } = targetFilters.select(event);
      if (refused > 0) filtered.set(event.tenant, (filtered.get(event.tenant) ?? 0) + refused);
      // With partitions, the webhooks of other partitions get the event through their own streams:
      // one more thing to settle before the entry is acknowledged, unless a claimed entry did it already.
      const elsewhere = router && !settled?.has(ROUTED) ? targets.filter((webhook) => router.elsewhere(webhook.id)) : [];
      const local = router ? targets.filter((webhook) => !router.elsewhere(webhook.id)) : targets;
      // FIFO webhooks' deliveries go into their lines, all of an entry's settled as one.
      const ordered = local.some(isFifo) ? local.filter(isFifo) : NO_WEBHOOKS;
      const here = ordered.length > 0 ? local.filter((webhook) => !isFifo(webhook)) : local;
      const deferral = claimed ? { deferral: { reason: 'claim' as const, delayMs: 0 } } : {};
      const unsettled = here.length + (elsewhere.length > 0 ? 1 : 0);
      let entry = manyEvents ? manyEventEntries.get(entryId) : undefined;
      // An entry's FIFO deliveries (of all its events) settle as one, once in their lines.
      const firstOrdered = ordered.length > 0 && !(entry && fifo.has(entry)) ? 1 : 0;
      if (entry) {
        entry.unsettled += unsettled + firstOrdered;
        entry.marked ||= (settled?.size ?? 0) > 0;
      } else {
        entry = {
          entryId,
          markerId: manyEvents ? entryId : event.id,
          ...(manyEvents ? { manyEvents } : {}),
          // An event routed here was counted in the partition it was published to.
          countAs: duplicate || routedHere ? undefined : `${event.tenant}:${event.type}`,
          operational: isOperationalEventType(event.type),
          unsettled: unsettled + firstOrdered,
          marked: (settled?.size ?? 0) > 0,
        };
        if (manyEvents) manyEventEntries.set(entryId, entry);
        byEntry.set(entry, []);
      }
      const ref = entry;
      byEntry.get(entry)?.push(...here.map((webhook) => ({ webhook, event, entry: ref, ...deferral })));
      if (elsewhere.length > 0) routes.push({ entry, event, webhookIds: elsewhere.map((webhook) => webhook.id) });
      if (ordered.length > 0) {
        // Marked settled as the entry's other deliveries are: by webhook under the event, or by delivery id under an entry of several events.
        const marker = (webhook: Webhook) => (manyEvents ? { id: entryId, field: deliveryIdFor(event.id, webhook.id) } : { id: event.id, field: webhook.id });
        const deliveries = ordered.map((webhook) => ({ webhookId: webhook.id, line: fifoLineOf(webhook.ordering as Ordering, event), entryId, event, marker: marker(webhook) }));
        const list = fifo.get(entry);
        if (list) list.push(...deliveries);
        else fifo.set(entry, deliveries);
      }
    }
    for (const [tenant, count] of filtered) this.deps.metrics.eventsFiltered.inc({ tenant }, count);
    return { byEntry, routes, fifo };
  }

  /**
   * Writes events into the partitions of their webhooks elsewhere (one command per partition),
   * trying again a partition that fails (its master failing over, say) while the others go on, and
   * settles each event's routing once every partition of it has it: its entry can then be
   * acknowledged. Stopping gives up on what is left: those entries stay pending, to be claimed.
   */
  private async routeElsewhere(routes: readonly PendingRoute[], claimed: boolean): Promise<void> {
    const router = this.deps.router as EventRouter;
    const routedTo = new Map<string, number[]>();
    let left: readonly RoutedEvent[] = routes;
    let waitMs = ROUTE_RETRY_FIRST_MS;
    // Entries read for the first time were never routed; a claimed one may have been, and a write
    // that failed may have been made all the same. (Entries in hand are renewed, so no one claims
    // them while this worker is alive and its event loop turns.)
    let mayRepeat = claimed;
    for (;;) {
      const { done, failed } = await router.route(left, { mayRepeat });
      mayRepeat = true;
      for (const [eventId, partitions] of done) routedTo.set(eventId, [...(routedTo.get(eventId) ?? []), ...partitions]);
      const waiting = new Set(failed.map((routed) => routed.event.id));
      const tried = new Set(left.map((routed) => routed.event.id));
      for (const route of routes) {
        if (!tried.has(route.event.id) || waiting.has(route.event.id)) continue;
        (route.entry.routedTo ??= []).push({ eventId: route.event.id, receivedAt: route.event.receivedAt, partitions: routedTo.get(route.event.id) ?? [] });
        // Settled like a delivery of the entry: the last of them acknowledges it.
        this.track(this.deps.settler.settle({ webhookId: ROUTED, tenant: route.event.tenant, entry: route.entry }), route.entry);
      }
      if (failed.length === 0) return;
      if (this.stopping) throw new Error(`routing ${waiting.size} event(s) into other partitions did not finish before the worker stopped`);
      this.deps.logger.warn({ events: waiting.size }, 'could not write events into another partition; retrying');
      await this.sleep(waitMs);
      waitMs = Math.min(ROUTE_RETRY_MAX_MS, waitMs * 2);
      left = failed;
    }
  }

  /**
   * Starts the planned deliveries (without waiting for them) and acknowledges entries that have
   * none. What they hold of the slots (deferred ones hold none) steers the next read.
   */
  private startDeliveries(byEntry: ReadonlyMap<EntryRef, PlannedDelivery[]>): void {
    const entriesRead = byEntry.size;
    const heldBefore = this.deps.slots.held;
    const now = Date.now();
    for (const [entry, plans] of byEntry) {
      // Held from here on: renewed while slow, never claimed by this worker itself. An entry whose
      // planning failed before this is not, so it is claimed again after the claim delay.
      this.held.set(entry.entryId, { entry, since: now });
      if (plans.length === 0) {
        // Nothing to deliver here; an entry whose event goes to other partitions waits for that.
        if (entry.unsettled <= 0) this.track(this.deps.settler.finish(entry), entry);
        continue;
      }
      for (const plan of plans) {
        if (entry.manyEvents && !plan.deferral && (this.paced.length > 0 || this.deps.slots.room < 1)) this.pace(plan);
        else this.track(this.deps.direct.deliver(plan), entry);
      }
    }
    const holding = this.deps.slots.held - heldBefore + this.paced.length;
    if (entriesRead > 0) this.deliveriesPerEntry += FANOUT_WEIGHT * (Math.max(1, holding / entriesRead) - this.deliveriesPerEntry);
  }

  /** Starts a delivery once the slots have room, after those paced before it; counted as running meanwhile. */
  private pace(plan: PlannedDelivery): void {
    this.running += 1;
    this.paced.push(plan);
    if (this.paced.length > 1) return;
    this.pacedDone = new Promise((resolve) => (this.pacedDrained = resolve));
    void (async () => {
      while (this.paced.length > 0) {
        await this.deps.slots.whenRoom(1);
        while (this.paced.length > 0 && this.deps.slots.room > 0) {
          const next = this.paced.shift() as PlannedDelivery;
          this.running -= 1;
          // Takes its slot (or waits for it) before this returns: the room goes down at once.
          this.track(this.deps.direct.deliver(next), next.entry);
        }
      }
      this.pacedDrained();
    })();
  }

  /**
   * Counts work under way until it ends. An entry is let go once it is acknowledged (counted down
   * to none unsettled), or as soon as any of its work fails: then it is not acknowledged (the
   * settler marks it broken), stays pending, and is claimed again.
   */
  private track(work: Promise<unknown>, entry?: EntryRef): void {
    this.running += 1;
    const letGo = () => {
      // Only this EntryRef's record: the same entry may have been claimed again since.
      if (entry && this.held.get(entry.entryId)?.entry === entry) this.held.delete(entry.entryId);
    };
    const ended = () => {
      this.running -= 1;
      if (entry && entry.unsettled <= 0) {
        letGo();
        if (entry.routedTo && !entry.broken) this.forgetRouted(entry.routedTo);
      }
      if (this.running === 0) this.drained?.();
    };
    work.then(ended, (error: unknown) => {
      this.deps.logger.error({ err: error, entryId: entry?.entryId }, 'fan-out work failed; the entry will be claimed again');
      letGo();
      ended();
    });
  }

  /**
   * Lets the markers of a routed event go once its entry is acknowledged here, gathered over a
   * moment into one command per partition. Were this lost (a crash), they expire.
   */
  private forgetRouted(routed: readonly RoutedMarkers[]): void {
    const router = this.deps.router;
    if (!router || routed.length === 0) return;
    const first = this.routedDone.size === 0;
    for (const markers of routed) this.routedDone.set(markers.eventId, markers);
    if (!first) return;
    setTimeout(() => {
      const done = this.routedDone;
      this.routedDone = new Map();
      this.track(router.forget(done.values()).catch((error: Error) => this.deps.logger.warn({ err: error.message }, 'could not let routed markers go; they expire')));
    }, FORGET_ROUTED_AFTER_MS).unref();
  }

  /**
   * Defers what cannot go now: deliveries to a webhook whose circuit is open (the queue's admission
   * waits out the cool-down and probes), and those of a rate-limited webhook beyond the tokens free.
   */
  private async admit(planned: readonly PlannedDelivery[], openCircuits: ReadonlySet<string>): Promise<void> {
    const limited = new Map<Webhook, PlannedDelivery[]>();
    for (const plan of planned) {
      if (plan.deferral) continue;
      if (openCircuits.has(plan.webhook.id) && this.deps.policies.circuit(plan.webhook).enabled) {
        plan.deferral = { reason: 'circuit', delayMs: 0 };
      } else if (plan.webhook.rateLimit) {
        const list = limited.get(plan.webhook);
        if (list) list.push(plan);
        else limited.set(plan.webhook, [plan]);
      }
    }
    await Promise.all(
      [...limited].map(async ([webhook, plans]) => {
        const { granted, waitMs } = await this.deps.policies.takeTokens(webhook, plans.length);
        for (const plan of plans.slice(0, granted)) plan.tokenTaken = true;
        if (granted >= plans.length) return;
        const rate = webhook.rateLimit?.perSecond ?? 1;
        plans.slice(granted).forEach((plan, i) => {
          // Each waits for its own token, spread out: held-back deliveries must not all return at once.
          plan.deferral = { reason: 'rate', delayMs: waitMs + Math.floor((i * 1000) / rate + Math.random() * Math.min(1000, 1000 / rate)) };
        });
        // Not waited for: the batch's deliveries need not wait for news of the limit.
        this.track(this.deps.events.emit('rate_limit.exceeded', webhook, { ...webhook.rateLimit }, this.options.rateLimitEventWindowMs));
      }),
    );
  }

  /**
   * For events of claimed entries: the webhooks whose delivery was settled before the claim, by
   * event. An entry of several events keeps them under its own id, by delivery id.
   */
  private async settledDeliveries(events: readonly ReadEvent[]): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>();
    // Marker id → whether it is an entry's of several events.
    const markers = new Map(events.map(({ entryId, event, manyEvents }) => [manyEvents ? entryId : event.id, manyEvents === true]));
    if (markers.size === 0) return found;
    const pipeline = this.deps.redis.pipeline();
    for (const id of markers.keys()) pipeline.hkeys(this.deps.keys.settledDeliveries(id));
    const replies = (await pipeline.exec()) ?? [];
    const add = (eventId: string, webhookId: string) => {
      const settled = found.get(eventId);
      if (settled) settled.add(webhookId);
      else found.set(eventId, new Set([webhookId]));
    };
    [...markers].forEach(([id, manyEvents], i) => {
      const [error, fields] = replies[i] ?? [];
      if (error) throw error;
      for (const field of (fields ?? []) as string[]) {
        if (!manyEvents) {
          add(id, field);
          continue;
        }
        // A delivery id: `<eventId>.<webhookId>`, and event ids have no ".".
        const dot = field.indexOf('.');
        if (dot > 0) add(field.slice(0, dot), field.slice(dot + 1));
      }
    });
    return found;
  }

  /**
   * Of events written straight to the stream, those whose idempotency key another entry already
   * used: the first entry checked wins for the key's TTL (batches are checked concurrently, by this
   * worker and others, so close entries may not keep stream order). The API checks keys before it
   * appends.
   */
  private async findDuplicates(direct: readonly StoredEvent[]): Promise<Set<StoredEvent>> {
    const duplicates = new Set<StoredEvent>();
    const keyed = direct.filter((event) => event.idempotencyKey !== undefined);
    if (keyed.length === 0) return duplicates;
    const pipeline = this.deps.redis.pipeline();
    for (const event of keyed) {
      const key = this.deps.keys.idempotency(event.tenant, event.idempotencyKey as string);
      pipeline.set(key, event.id, 'EX', this.options.idempotencyTtlSeconds, 'NX').get(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    keyed.forEach((event, index) => {
      const [error, owner] = replies[index * 2 + 1] ?? [];
      if (error) throw error;
      if (owner !== event.id) {
        duplicates.add(event);
        this.deps.logger.info({ eventId: event.id, firstEventId: owner }, 'duplicate idempotency key; event skipped');
      }
    });
    return duplicates;
  }
}
