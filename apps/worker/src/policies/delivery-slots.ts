// A worker's delivery slots: how many deliveries it has in flight, in all and per webhook. Each
// webhook may hold at most its cap (its `maxInFlight`, else the worker's default), so one slow or
// hanging endpoint never takes the slots of the others. A delivery over its webhook's cap waits
// here while that endpoint is moving (its slots free up soon), and is deferred to the queue,
// without spending an attempt, when it is not. The cap of an endpoint that times out is halved,
// and grows back by one with each answer (AIMD), so a hanging endpoint soon holds a single slot.
import type { RandomSource } from '@herald/shared';

export interface SlotOptions {
  /** Deliveries in flight at once in this worker. */
  capacity: number;
  /**
   * Deliveries that may wait here for a slot besides those in flight, so that a slot that frees
   * is taken at once rather than after the next read of the stream. Default: `capacity`.
   */
  backlog?: number;
  /** Deliveries in flight to one webhook at once, for webhooks without their own `maxInFlight`. */
  webhookCap: number;
  /** How long a delivery may wait here for its webhook's slot before it is deferred, in ms. */
  waitMs: number;
  now?: () => number;
  random?: RandomSource;
}

/** What an attempt that held a slot came to; it steers the webhook's cap. */
export interface SlotUse {
  /** The endpoint gave no answer in time. */
  timedOut: boolean;
  /** The endpoint answered (any status). */
  answered: boolean;
  durationMs: number;
}

export interface SlotLease {
  /** Gives the slot back after an attempt. */
  release(use: SlotUse): void;
  /** Gives the slot back unused (the delivery was held back for another reason). */
  releaseUnused(): void;
}

/** A deferral says why: the webhook had its cap in flight (`cap`), or the worker was full (`busy`). */
export type SlotGrant = { kind: 'lease'; lease: SlotLease } | { kind: 'defer'; delayMs: number; reason: 'cap' | 'busy' };

interface Waiter {
  since: number;
  grant(grant: SlotGrant): void;
}

/** The webhook a slot is for: its id, own cap (if any) and request timeout. */
export interface SlotTarget {
  id: string;
  maxInFlight?: number | undefined;
  timeoutMs: number;
}

class Endpoint {
  inFlight = 0;
  /** When each request in flight began (unix ms). */
  starts: number[] = [];
  waiters: Waiter[] = [];
  /** When it last gave a slot back, and when it last became full (unix ms; 0: never). */
  freedAt = 0;
  fullSince = 0;
  /** Moving average of its attempts' durations; undefined until one finished. */
  averageMs: number | undefined;
  usedAt: number;

  constructor(
    /** The cap now, between 1 and `max`. */
    public limit: number,
    public max: number,
    public timeoutMs: number,
    now: number,
  ) {
    this.usedAt = now;
  }
}

/** Weight of the newest attempt in an endpoint's moving average duration. */
const AVERAGE_WEIGHT = 0.2;
/** An endpoint untouched this long is forgotten (its cap starts afresh). */
const FORGET_AFTER_MS = 10 * 60_000;

export class DeliverySlots {
  private inFlight = 0;
  private waiting = 0;
  private readonly endpoints = new Map<string, Endpoint>();
  /** Endpoints with waiters, the longest waiting first. */
  private readonly queued = new Set<Endpoint>();
  private roomWaiters: { room: number; resolve: () => void }[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private forgottenAt: number;
  private readonly now: () => number;
  private readonly random: RandomSource;

  constructor(private readonly options: SlotOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.forgottenAt = this.now();
  }

  get capacity(): number {
    return this.options.capacity;
  }

  /** Deliveries this worker holds: in flight, or waiting here for a slot. */
  get held(): number {
    return this.inFlight + this.waiting;
  }

  /** The current cap of a webhook's endpoint (for tests and debugging). */
  capOf(webhookId: string): number | undefined {
    return this.endpoints.get(webhookId)?.limit;
  }

  /** A slot at once, when the webhook and the worker have room and no one waits before it; else undefined (then `acquire`). */
  take(webhook: SlotTarget): SlotLease | undefined {
    const now = this.now();
    const endpoint = this.endpoint(webhook, now);
    if (this.inFlight >= this.options.capacity || endpoint.inFlight >= endpoint.limit || endpoint.waiters.length > 0) return undefined;
    return this.start(endpoint, now);
  }

  /**
   * A slot for a delivery to `webhook`: at once when there is room, after a short wait when its
   * endpoint is moving, else a deferral with the delay to queue it for. The delivery counts as held
   * from this call on.
   */
  acquire(webhook: SlotTarget): Promise<SlotGrant> {
    const now = this.now();
    const endpoint = this.endpoint(webhook, now);
    const workerFull = this.inFlight >= this.options.capacity;
    if (!workerFull && endpoint.inFlight < endpoint.limit && endpoint.waiters.length === 0) {
      return Promise.resolve({ kind: 'lease', lease: this.start(endpoint, now) });
    }
    if (endpoint.inFlight >= endpoint.limit && !this.worthWaiting(endpoint, now)) {
      return Promise.resolve({ kind: 'defer', delayMs: this.deferral(endpoint, now), reason: 'cap' });
    }
    return new Promise<SlotGrant>((resolve) => {
      endpoint.waiters.push({ since: now, grant: resolve });
      this.waiting += 1;
      this.queued.add(endpoint);
      this.sweepSoon();
    });
  }

  /** Deliveries the worker may still take on: in flight and waiting, up to capacity and backlog. */
  get room(): number {
    return Math.max(0, this.options.capacity + (this.options.backlog ?? this.options.capacity) - this.held);
  }

  /** Resolves once the worker may take on at least `room` more deliveries. */
  whenRoom(room = 1): Promise<void> {
    if (this.room >= room) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ room, resolve }));
  }

  /** Stops the sweeper; waiters still here are deferred. */
  close(): void {
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    this.deferWaiting(() => true);
  }

  /**
   * Wait here only if a slot should free up within `waitMs`: the endpoint is not stalled, and the
   * waiters ahead at its usual pace take no longer than that.
   */
  private worthWaiting(endpoint: Endpoint, now: number): boolean {
    if (this.stalled(endpoint, now)) return false;
    const rounds = Math.ceil((endpoint.waiters.length + 1) / endpoint.limit);
    return rounds * (endpoint.averageMs ?? 0) <= this.options.waitMs;
  }

  /**
   * Full, and no slot given back for a while: `waitMs`, or a fifth of it for an endpoint that has
   * not answered yet at all (a burst to an endpoint that hangs from the start must not fill the
   * worker with waiters while the first requests are out).
   */
  private stalled(endpoint: Endpoint, now: number): boolean {
    if (endpoint.inFlight < endpoint.limit) return false;
    const patience = endpoint.averageMs === undefined ? this.options.waitMs / 5 : this.options.waitMs;
    return now - Math.max(endpoint.freedAt, endpoint.fullSince) >= patience;
  }

  /**
   * How long a deferred delivery waits in the queue, spread out so that deferred deliveries do not
   * all come back at once:
   * - an endpoint that hangs (stalled for `waitMs` and well past its usual time): until its oldest
   *   request must have ended (its timeout), so that deliveries do not cycle through the queue;
   * - one stalled a moment only (it may just be slow to start: new connections, a cold receiver):
   *   twice as long as it has been stalled;
   * - otherwise about as long as the waiters ahead take at the endpoint's usual pace.
   */
  private deferral(endpoint: Endpoint, now: number): number {
    const usual = endpoint.averageMs;
    const stalledFor = now - Math.max(endpoint.freedAt, endpoint.fullSince);
    let base: number;
    if (!this.stalled(endpoint, now)) base = Math.ceil((endpoint.waiters.length + 1) / endpoint.limit) * (usual ?? 0);
    else if (stalledFor >= this.options.waitMs && (usual === undefined || stalledFor > 2 * usual)) {
      base = Math.min(...endpoint.starts, now) + endpoint.timeoutMs - now;
    } else base = 2 * stalledFor;
    return Math.round(Math.max(100, base) * (1 + this.random() / 2));
  }

  private endpoint(webhook: SlotTarget, now: number): Endpoint {
    const max = Math.max(1, Math.min(webhook.maxInFlight ?? this.options.webhookCap, this.options.capacity));
    let endpoint = this.endpoints.get(webhook.id);
    if (!endpoint) {
      endpoint = new Endpoint(max, max, webhook.timeoutMs, now);
      this.endpoints.set(webhook.id, endpoint);
    } else if (endpoint.max !== max) {
      endpoint.max = max;
      endpoint.limit = Math.min(endpoint.limit, max);
    }
    endpoint.timeoutMs = webhook.timeoutMs;
    endpoint.usedAt = now;
    if (now - this.forgottenAt > FORGET_AFTER_MS) this.forgetIdle(now);
    return endpoint;
  }

  private start(endpoint: Endpoint, now: number): SlotLease {
    endpoint.inFlight += 1;
    endpoint.starts.push(now);
    this.inFlight += 1;
    if (endpoint.inFlight >= endpoint.limit) endpoint.fullSince = now;
    let released = false;
    const give = (use: SlotUse | undefined) => {
      if (released) return;
      released = true;
      endpoint.starts.splice(endpoint.starts.indexOf(now), 1);
      this.free(endpoint, use);
    };
    return { release: (use) => give(use), releaseUnused: () => give(undefined) };
  }

  private free(endpoint: Endpoint, use: SlotUse | undefined): void {
    const now = this.now();
    endpoint.inFlight -= 1;
    this.inFlight -= 1;
    endpoint.freedAt = now;
    endpoint.usedAt = now;
    if (use) {
      endpoint.averageMs = endpoint.averageMs === undefined ? use.durationMs : endpoint.averageMs + AVERAGE_WEIGHT * (use.durationMs - endpoint.averageMs);
      if (use.timedOut) endpoint.limit = Math.max(1, Math.floor(endpoint.limit / 2));
      else if (use.answered) endpoint.limit = Math.min(endpoint.max, endpoint.limit + 1);
    }
    this.dispatch(now);
  }

  /** Gives free slots to waiters, endpoint by endpoint, the longest waiting first. */
  private dispatch(now: number): void {
    for (const endpoint of [...this.queued]) {
      if (this.inFlight >= this.options.capacity) break;
      if (endpoint.inFlight >= endpoint.limit) continue;
      while (endpoint.waiters.length > 0 && this.inFlight < this.options.capacity && endpoint.inFlight < endpoint.limit) {
        const waiter = endpoint.waiters.shift() as Waiter;
        this.waiting -= 1;
        waiter.grant({ kind: 'lease', lease: this.start(endpoint, now) });
      }
      this.queued.delete(endpoint);
      // Served for now: to the back of the line, if it still has waiters.
      if (endpoint.waiters.length > 0) this.queued.add(endpoint);
    }
    this.announceRoom();
  }

  private announceRoom(): void {
    if (this.roomWaiters.length === 0) return;
    const room = this.room;
    const ready = this.roomWaiters.filter((waiter) => waiter.room <= room);
    if (ready.length === 0) return;
    this.roomWaiters = this.roomWaiters.filter((waiter) => waiter.room > room);
    for (const waiter of ready) waiter.resolve();
  }

  /**
   * While anyone waits, checks often for waiters whose endpoint stalled meanwhile (all of them go),
   * and for those who waited twice `waitMs` (they go too).
   */
  private sweepSoon(): void {
    if (this.sweeper) return;
    this.sweeper = setTimeout(() => {
      this.sweeper = undefined;
      const now = this.now();
      const cutoff = now - 2 * this.options.waitMs;
      this.deferWaiting((waiter, endpoint) => waiter.since <= cutoff || this.stalled(endpoint, now));
      if (this.waiting > 0) this.sweepSoon();
    }, Math.max(10, this.options.waitMs / 10));
    this.sweeper.unref();
  }

  private deferWaiting(which: (waiter: Waiter, endpoint: Endpoint) => boolean): void {
    const now = this.now();
    for (const endpoint of this.queued) {
      const keep: Waiter[] = [];
      for (const waiter of endpoint.waiters) {
        if (!which(waiter, endpoint)) {
          keep.push(waiter);
          continue;
        }
        this.waiting -= 1;
        waiter.grant({ kind: 'defer', delayMs: this.deferral(endpoint, now), reason: endpoint.inFlight >= endpoint.limit ? 'cap' : 'busy' });
      }
      endpoint.waiters = keep;
      if (keep.length === 0) this.queued.delete(endpoint);
    }
    this.announceRoom();
  }

  private forgetIdle(now: number): void {
    this.forgottenAt = now;
    for (const [id, endpoint] of this.endpoints) {
      if (endpoint.inFlight === 0 && endpoint.waiters.length === 0 && now - endpoint.usedAt > FORGET_AFTER_MS) this.endpoints.delete(id);
    }
  }
}
