import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis-client';
import type { RedisKeys } from '../keys';
import { join } from 'node:path';
import { LuaScript } from '../lua/lua-script';
import { deadLetterSchema, type DeadLetter } from '../schemas/delivery';
import { PayloadStore } from '../payloads/payload-store';
import { safeJson } from '../store/safe-json';

export interface DeadLetterFilter {
  webhookId?: string;
  type?: string;
  tenant?: string;
  /** Only those dead-lettered at or after this time (unix ms). */
  sinceMs?: number;
  /** Only those dead-lettered before this time (unix ms). */
  beforeMs?: number;
}

/** Where a listing stopped: the last dead letter returned. Ties in time are ordered by id. */
export interface DeadLetterCursor {
  score: number;
  id: string;
}

export interface DeadLetterPage {
  data: DeadLetter[];
  /** Pass back to continue after the last item; null when there is nothing more. */
  next: DeadLetterCursor | null;
}

const SCAN_PAGE = 500;

const INDEX_DEAD_LETTERS = new LuaScript(join(__dirname, 'index-dead-letters-n.lua'));
const REMOVE_REPLAYED = new LuaScript(join(__dirname, 'remove-replayed-dead-letters-n.lua'));
const REMOVE = new LuaScript(join(__dirname, 'remove-dead-letters-n.lua'));

/** A dead letter as stored: its event without `data` when `payload` says the event's payload is stored apart. */
type StoredDeadLetter = Omit<DeadLetter, 'event'> & { event: Omit<DeadLetter['event'], 'data'> & { data?: unknown }; payload?: true };

export function encodeCursor(cursor: DeadLetterCursor): string {
  return `${cursor.score}:${cursor.id}`;
}

export function decodeCursor(text: string): DeadLetterCursor | null {
  const separator = text.indexOf(':');
  const score = Number(text.slice(0, separator));
  const id = text.slice(separator + 1);
  return separator > 0 && Number.isFinite(score) && id ? { score, id } : null;
}

/**
 * One partition's dead letters (dead-letter-store.ts spans the partitions): a hash of JSON documents by delivery id, indexed by time in sorted sets: one of all
 * dead letters, one per webhook and one per tenant (so that filtering by either reads only theirs).
 * A dead letter keeps its event's payload apart, stored once for every delivery of the event that
 * waits (payloads/), and referred to until the dead letter is purged.
 */
export class PartitionDeadLetters {
  private indexesBuilt = false;
  private readonly payloads: PayloadStore;
  /** The dead letters read here that refer to a payload stored apart (the others carry their event inline). */
  private readonly withPayload = new WeakSet<DeadLetter>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.payloads = new PayloadStore(redis, keys);
  }

  /**
   * How a dead letter is stored: its JSON in the hash, without its event's data (the payload, kept
   * apart: payloads/), and its time as the sorted sets' score.
   */
  static encode(deadLetter: DeadLetter): { id: string; json: string; score: number } {
    const { data: _data, ...event } = deadLetter.event;
    const stored: StoredDeadLetter = { ...deadLetter, event, payload: true };
    return { id: deadLetter.id, json: JSON.stringify(stored), score: Date.parse(deadLetter.deadLetteredAt) };
  }

  /** Dead letters from their stored JSON, each with its event's payload put back. */
  private async decode(jsons: readonly (string | null)[]): Promise<DeadLetter[]> {
    const stored = jsons.flatMap((json) => (json ? [JSON.parse(json) as StoredDeadLetter] : []));
    const payloads = await this.payloads.getMany(stored.filter((d) => d.payload).map((d) => d.event.id));
    return stored.map(({ payload, ...d }) => {
      // A payload that is gone (it should not be while the dead letter exists) leaves the event without its data.
      const deadLetter = deadLetterSchema.parse(payload ? { ...d, event: { ...d.event, data: payloads.get(d.event.id)?.data ?? {} } } : d);
      if (payload) this.withPayload.add(deadLetter);
      return deadLetter;
    });
  }

  /**
   * Whether a dead letter read from this store refers to its event's payload stored apart (its
   * replay then names the event, taking over the reference), or carries its event inline (stored
   * by an older Herald: its replay carries the event too).
   */
  refersToPayload(deadLetter: DeadLetter): boolean {
    return this.withPayload.has(deadLetter);
  }

  /** Queues the commands that park a dead letter on `pipeline`, its event inline (for tests and benchmarks that make many at once). */
  addTo(pipeline: ChainableCommander, deadLetter: DeadLetter): ChainableCommander {
    const { id, score } = PartitionDeadLetters.encode(deadLetter);
    const json = JSON.stringify(deadLetter);
    return pipeline
      .hset(this.keys.deadLetters, id, json)
      .zadd(this.keys.deadLettersByTime, score, id)
      .zadd(this.keys.deadLettersOfWebhook(deadLetter.webhookId), score, id)
      .zadd(this.keys.deadLettersOfTenant(deadLetter.tenant), score, id);
  }

  /** Its webhook's and its tenant's indexes, for each dead letter. */
  private indexKeys(deadLetters: readonly Pick<DeadLetter, 'webhookId' | 'tenant'>[]): string[] {
    return deadLetters.flatMap((d) => [this.keys.deadLettersOfWebhook(d.webhookId), this.keys.deadLettersOfTenant(d.tenant)]);
  }

  async get(id: string): Promise<DeadLetter | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  /** The dead letters that exist among `ids`, in the order asked. */
  async getMany(ids: readonly string[]): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    return this.decode(await this.redis.hmget(this.keys.deadLetters, ...ids));
  }

  /**
   * Newest first, at most `limit` matching `filter`, continuing after `after` when given. A filter
   * by webhook or tenant reads that one's index (once the indexes are built), not every dead letter.
   */
  async list(filter: DeadLetterFilter, limit: number, after?: DeadLetterCursor | null): Promise<DeadLetterPage> {
    const index = await this.indexFor(filter);
    const found: DeadLetter[] = [];
    const min = filter.sinceMs === undefined ? '-inf' : String(filter.sinceMs);
    let cursor = after ?? null;
    let offset = 0;
    for (;;) {
      const max = cursor ? String(cursor.score) : filter.beforeMs === undefined ? '+inf' : `(${filter.beforeMs}`;
      const page = await this.redis.zrevrangebyscore(index, max, min, 'WITHSCORES', 'LIMIT', offset, SCAN_PAGE);
      if (page.length === 0) return { data: found, next: null };
      const entries: DeadLetterCursor[] = [];
      for (let i = 0; i + 1 < page.length; i += 2) entries.push({ id: page[i] as string, score: Number(page[i + 1]) });
      // Entries at the cursor's own time sort by id, descending: those not below it were returned already.
      const fresh = entries.filter((e) => !cursor || e.score < cursor.score || e.id < cursor.id);
      if (fresh.length === 0) {
        if (entries.length < SCAN_PAGE) return { data: found, next: null };
        offset += entries.length;
        continue;
      }
      // Filtered on what is stored; only the dead letters returned have their payloads read.
      const jsons = await this.redis.hmget(this.keys.deadLetters, ...fresh.map((e) => e.id));
      const picked: { entry: DeadLetterCursor; json: string }[] = [];
      fresh.forEach((entry, i) => {
        const json = jsons[i];
        if (json && picked.length + found.length < limit && matches(JSON.parse(json) as StoredDeadLetter, filter)) picked.push({ entry, json });
      });
      found.push(...(await this.decode(picked.map((p) => p.json))));
      if (found.length >= limit) return { data: found, next: (picked.at(-1) as { entry: DeadLetterCursor }).entry };
      if (entries.length < SCAN_PAGE) return { data: found, next: null };
      cursor = fresh.at(-1) as DeadLetterCursor;
      offset = 0;
    }
  }

  private async indexFor(filter: DeadLetterFilter): Promise<string> {
    if (!filter.webhookId && !filter.tenant) return this.keys.deadLettersByTime;
    // Once built, the indexes stay built: the marker is read until this store has seen it.
    this.indexesBuilt ||= (await this.redis.exists(this.keys.deadLetterIndexesBuilt)) === 1;
    if (!this.indexesBuilt) return this.keys.deadLettersByTime;
    return filter.webhookId ? this.keys.deadLettersOfWebhook(filter.webhookId) : this.keys.deadLettersOfTenant(filter.tenant as string);
  }

  /**
   * Adds every dead letter to its webhook's and tenant's indexes, for dead letters parked before
   * those indexes existed; then marks them built, so listings use them. It walks the hash with HSCAN,
   * which returns every dead letter present from start to end however others change meanwhile,
   * and indexes each at its current time, unless it went meanwhile. Safe to run again or from
   * several processes at once. Returns how many dead letters were indexed (0 if already built).
   */
  async buildIndexes(): Promise<number> {
    if (await this.redis.exists(this.keys.deadLetterIndexesBuilt)) return 0;
    let indexed = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.deadLetters, cursor, 'COUNT', SCAN_PAGE);
      cursor = next;
      const found: Pick<DeadLetter, 'id' | 'webhookId' | 'tenant'>[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const parsed = deadLetterSchema.safeParse(safeJson(flat[i + 1] as string));
        if (parsed.success) found.push(parsed.data);
      }
      if (found.length > 0) {
        const keys = [this.keys.deadLetters, this.keys.deadLettersByTime, ...this.indexKeys(found)];
        indexed += Number(await INDEX_DEAD_LETTERS.run(this.redis, keys, found.map((d) => d.id)));
      }
    } while (cursor !== '0');
    await this.redis.set(this.keys.deadLetterIndexesBuilt, new Date().toISOString());
    this.indexesBuilt = true;
    return indexed;
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.keys.deadLettersByTime);
  }

  /**
   * Removes dead letters (purged), from every index, with their references to their events'
   * payloads; returns how many there were. A script, not MULTI: Redis at maxmemory still runs it,
   * and it frees memory.
   */
  async remove(deadLetters: readonly (Pick<DeadLetter, 'id' | 'webhookId' | 'tenant'> & { event: { id: string } })[]): Promise<number> {
    if (deadLetters.length === 0) return 0;
    const keys = [this.keys.deadLetters, this.keys.deadLettersByTime];
    for (const d of deadLetters) keys.push(this.keys.deadLettersOfWebhook(d.webhookId), this.keys.deadLettersOfTenant(d.tenant), this.keys.payload(d.event.id));
    return Number(await REMOVE.run(this.redis, keys, deadLetters.map((d) => d.id)));
  }

  /**
   * Removes replayed dead letters that are still at the replay count they were replayed from;
   * one whose replay already failed again (and was re-parked) stays. Returns how many went.
   */
  async removeReplayed(replayed: readonly Pick<DeadLetter, 'id' | 'replays' | 'webhookId' | 'tenant'>[]): Promise<number> {
    if (replayed.length === 0) return 0;
    const keys = [this.keys.deadLetters, this.keys.deadLettersByTime, ...this.indexKeys(replayed)];
    const args = replayed.flatMap((d) => [d.id, String(d.replays)]);
    return Number(await REMOVE_REPLAYED.run(this.redis, keys, args));
  }
}

function matches(deadLetter: Pick<DeadLetter, 'webhookId' | 'tenant'> & { event: { type: string } }, filter: DeadLetterFilter): boolean {
  return (
    (!filter.webhookId || deadLetter.webhookId === filter.webhookId) &&
    (!filter.type || deadLetter.event.type === filter.type) &&
    (!filter.tenant || deadLetter.tenant === filter.tenant)
  );
}
