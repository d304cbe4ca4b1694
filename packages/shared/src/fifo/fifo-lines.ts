// Ordered delivery (FIFO): the lines of FIFO webhooks in one partition, and what moves them — the
// fan-out putting deliveries in, the pump and recovery sending heads out, an operator skipping or
// replaying. The mechanism is fifo.lua; each operation is one script call on the partition's slot.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RedisKeys } from '../keys';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import type { StoredEvent } from '../schemas/event';
import type { Ordering } from '../schemas/webhook';
import { deliveryIdFor } from '../ids';

const APPEND = new LuaScript(join(__dirname, 'append-fifo-n.lua'));
const PUMP = new LuaScript(join(__dirname, 'pump-fifo-1.lua'));
const RECOVER = new LuaScript(join(__dirname, 'recover-fifo-1.lua'));
const SKIP = new LuaScript(join(__dirname, 'skip-fifo-1.lua'));
const REPLAY = new LuaScript(join(__dirname, 'replay-fifo-2.lua'));
const UNBLOCK = new LuaScript(join(__dirname, 'unblock-fifo-1.lua'));

/** Key values longer than this name their line by a hash of the value. */
const LINE_NAME_MAX = 200;

/** A line's head sent out: the caller makes its job (`fifoJobId`). */
export interface FifoHead {
  webhookId: string;
  line: string;
  /** Its member in the line: `<order key>|<event id>|<replay>`. */
  member: string;
  eventId: string;
  replay: number;
  /** Numbers the webhook's heads sent out: the job's id. */
  n: number;
}

/** A FIFO delivery fan-out planned from a stream entry. */
export interface FifoDelivery {
  webhookId: string;
  line: string;
  entryId: string;
  event: StoredEvent;
  /**
   * Where it is marked settled for its entry (`RedisKeys.settledDeliveries(id)`, field `field`), as
   * the entry's other deliveries are; default: under its event, by its webhook.
   */
  marker?: { id: string; field: string };
}

/** One FIFO webhook's lines, as the gauges and the API show them. */
export interface FifoFigures {
  webhookId: string;
  /** Deliveries in its lines, heads included. */
  deliveries: number;
  lines: number;
  /** When the oldest head's event entered the stream (ms), if any line has one. */
  oldestHeadMs: number | undefined;
  blocked: number;
}

export interface BlockedLine {
  /** The line: its ordering key's value ('' without a key). */
  key: string;
  eventId: string;
  /** The dead letter holding the head. */
  deadLetterId: string;
  since: string;
  error: string;
}

/** Where a blocked head's details are kept (settle-n.lua writes it). */
export interface BlockedHead {
  m: string;
  since: string;
  error: string;
}

/** The padded order key of a stream entry id: members sort as their entries do. */
export function fifoOrderKey(entryId: string): string {
  const [ms = '0', seq = '0'] = entryId.split('-');
  return `${ms.padStart(15, '0')}-${seq.padStart(10, '0')}`;
}

export function parseFifoMember(member: string): { orderKey: string; eventId: string; replay: number } {
  const last = member.lastIndexOf('|');
  return { orderKey: member.slice(0, 26), eventId: member.slice(27, last), replay: Number(member.slice(last + 1)) };
}

/** The job of a head sent out: one per sending, so a head sent again after its worker died gets a new one. */
export function fifoJobId(eventId: string, webhookId: string, n: number): string {
  return `${deliveryIdFor(eventId, webhookId)}.f${n}`;
}

/**
 * The line an event goes to: '' without a key; else the key's value as text (a string as it is,
 * anything else as JSON; missing or null: ''), a long one by its hash.
 */
export function fifoLineOf(ordering: Ordering, event: Pick<StoredEvent, 'tenant' | 'type' | 'data'>): string {
  if (!ordering.key) return '';
  const [head, ...path] = ordering.key.split('.');
  let value: unknown = head === 'tenant' ? event.tenant : head === 'type' ? event.type : event.data;
  // Own fields only: a name such as `constructor` must not reach into the prototype.
  for (const name of path) value = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.length <= LINE_NAME_MAX ? text : `~sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The heads a script sent out, from its flat reply `{ webhook, line, head, n, … }`. */
export function readFifoHeads(flat: readonly unknown[]): FifoHead[] {
  const heads: FifoHead[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const member = String(flat[i + 2]);
    const { eventId, replay } = parseFifoMember(member);
    heads.push({ webhookId: String(flat[i]), line: String(flat[i + 1]), member, eventId, replay, n: Number(flat[i + 3]) });
  }
  return heads;
}

export class FifoLines {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Puts a batch's FIFO deliveries into their lines and records the batch's entries (all of them)
   * as planned. Returns the heads sent out.
   */
  async append(entryIds: readonly string[], deliveries: readonly FifoDelivery[], markerTtlMs: number, nowMs = Date.now()): Promise<FifoHead[]> {
    const keys = [this.keys.fifoPlanning, ...deliveries.flatMap((d) => [this.keys.payload(d.event.id), this.keys.settledDeliveries(d.marker?.id ?? d.event.id)])];
    const args = [
      this.keys.fifo, nowMs, markerTtlMs, entryIds.length, ...entryIds,
      ...deliveries.flatMap((d) => [d.webhookId, d.line, d.entryId, d.event.id, JSON.stringify(d.event), d.marker?.field ?? d.webhookId]),
    ];
    return readFifoHeads((await APPEND.run(this.redis, keys, args)) as unknown[]);
  }

  /** Sends out the heads of waiting lines that may go now. */
  async pump(limit: number, nowMs = Date.now()): Promise<FifoHead[]> {
    return readFifoHeads((await PUMP.run(this.redis, [this.keys.fifoWaiting], [this.keys.fifo, nowMs, limit])) as unknown[]);
  }

  /** Sends heads out again whose jobs are gone or long finished without their lines moving; and each webhook's figures. */
  async recover(staleMs: number, nowMs = Date.now()): Promise<{ heads: FifoHead[]; figures: FifoFigures[] }> {
    const [flat, figures] = (await RECOVER.run(this.redis, [this.keys.fifoWebhooks], [this.keys.fifo, nowMs, staleMs, `${this.keys.bullPrefix}:deliveries:`])) as [unknown[], unknown[]];
    const read: FifoFigures[] = [];
    for (let i = 0; i + 4 < figures.length; i += 5) {
      const oldest = Number(figures[i + 3]);
      read.push({ webhookId: String(figures[i]), deliveries: Number(figures[i + 1]), lines: Number(figures[i + 2]), oldestHeadMs: oldest >= 0 ? oldest : undefined, blocked: Number(figures[i + 4]) });
    }
    return { heads: readFifoHeads(flat), figures: read };
  }

  /** Skips a blocked line's head; returns its event id, or undefined when the line is not blocked. */
  async skip(webhookId: string, line: string): Promise<string | undefined> {
    const member = await SKIP.run(this.redis, [this.keys.fifoBlocked(webhookId)], [this.keys.fifo, webhookId, line]);
    return typeof member === 'string' ? parseFifoMember(member).eventId : undefined;
  }

  /**
   * Lets every blocked line of a webhook go on without its blocked head (its dead letter stays): for
   * a webhook deleted, or whose ordering was removed or re-keyed. Returns how many lines went on.
   */
  async unblockAll(webhookId: string): Promise<number> {
    return Number(await UNBLOCK.run(this.redis, [this.keys.fifoBlocked(webhookId)], [this.keys.fifo, webhookId]));
  }

  /**
   * Puts a replayed dead letter into its line: in place of the blocked head it is, else at the tail.
   * `heldPayload`: the dead letter's reference to the stored payload passes to the line; otherwise one is taken.
   */
  async replay(webhookId: string, line: string, event: StoredEvent, replay: number, heldPayload: boolean): Promise<'head' | 'tail' | undefined> {
    const place = await REPLAY.run(
      this.redis,
      [this.keys.fifoBlocked(webhookId), this.keys.payload(event.id)],
      [this.keys.fifo, webhookId, line, event.id, replay, heldPayload ? '' : JSON.stringify(event)],
    );
    return place === 'head' || place === 'tail' ? place : undefined;
  }

  /** A webhook's lines: how many deliveries wait, and each blocked line (at most `maxBlocked`). */
  async status(webhookId: string, maxBlocked = 1000): Promise<FifoFigures & { inFlight: number; blockedLines: BlockedLine[] }> {
    const k = this.keys;
    const replies = (await this.redis
      .multi()
      .get(k.fifoCount(webhookId))
      .zcard(k.fifoHeads(webhookId))
      .zrange(k.fifoHeads(webhookId), 0, 0, 'WITHSCORES')
      .hlen(k.fifoBusy(webhookId))
      .hscan(k.fifoBlocked(webhookId), '0', 'COUNT', maxBlocked)
      .hlen(k.fifoBlocked(webhookId))
      .exec()) ?? [];
    const value = (i: number) => {
      const [error, reply] = replies[i] ?? [];
      if (error) throw error;
      return reply;
    };
    const oldest = value(2) as string[];
    const flat = (value(4) as [string, string[]])[1];
    const blockedLines: BlockedLine[] = [];
    for (let i = 0; i + 1 < flat.length && blockedLines.length < maxBlocked; i += 2) {
      const head = JSON.parse(flat[i + 1] as string) as BlockedHead;
      const { eventId } = parseFifoMember(head.m);
      blockedLines.push({ key: flat[i] as string, eventId, deadLetterId: deliveryIdFor(eventId, webhookId), since: head.since, error: head.error });
    }
    return {
      webhookId,
      deliveries: Math.max(0, Number(value(0) ?? 0)),
      lines: Number(value(1)),
      oldestHeadMs: oldest[1] !== undefined ? Number(oldest[1]) : undefined,
      inFlight: Number(value(3)),
      blocked: Number(value(5)),
      blockedLines,
    };
  }
}
