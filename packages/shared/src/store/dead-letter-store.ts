import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis-client';
import type { RedisKeys } from '../keys';
import { join } from 'node:path';
import { LuaScript } from '../lua/lua-script';
import { execOrThrow } from '../redis';
import { deadLetterSchema, type DeadLetter } from '../schemas/delivery';
import { safeJson } from './safe-json';

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

const INDEX_DEAD_LETTERS = new LuaScript(join(__dirname, '..', 'lua', 'index-dead-letters-n.lua'));
const REMOVE_REPLAYED = new LuaScript(join(__dirname, '..', 'lua', 'remove-replayed-dead-letters-n.lua'));

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
 * Dead letters: a hash of JSON documents by delivery id, indexed by time in sorted sets: one of all
 * dead letters, one per webhook and one per tenant (so that filtering by either reads only theirs).
 */
export class DeadLetterStore {
  private indexesBuilt = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** How a dead letter is stored: its JSON in the hash, its time as the sorted set's score. */
  static encode(deadLetter: DeadLetter): { id: string; json: string; score: number } {
    return { id: deadLetter.id, json: JSON.stringify(deadLetter), score: Date.parse(deadLetter.deadLetteredAt) };
  }

  /** Queues the commands that park a dead letter on `pipeline` (the caller sends them with its own). */
  addTo(pipeline: ChainableCommander, deadLetter: DeadLetter): ChainableCommander {
    const { id, json, score } = DeadLetterStore.encode(deadLetter);
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
    const json = await this.redis.hget(this.keys.deadLetters, id);
    return json ? deadLetterSchema.parse(JSON.parse(json)) : null;
  }

  /** The dead letters that exist among `ids`, in the order asked. */
  async getMany(ids: readonly string[]): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const jsons = await this.redis.hmget(this.keys.deadLetters, ...ids);
    return jsons.flatMap((json) => (json ? [deadLetterSchema.parse(JSON.parse(json))] : []));
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
      const documents = new Map((await this.getMany(fresh.map((e) => e.id))).map((d) => [d.id, d]));
      for (const entry of fresh) {
        const deadLetter = documents.get(entry.id);
        if (!deadLetter || !matches(deadLetter, filter)) continue;
        found.push(deadLetter);
        if (found.length >= limit) return { data: found, next: entry };
      }
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

  /** Removes dead letters, from every index; returns how many there were. */
  async remove(deadLetters: readonly Pick<DeadLetter, 'id' | 'webhookId' | 'tenant'>[]): Promise<number> {
    if (deadLetters.length === 0) return 0;
    const ids = deadLetters.map((d) => d.id);
    const pipeline = this.redis.multi().hdel(this.keys.deadLetters, ...ids).zrem(this.keys.deadLettersByTime, ...ids);
    for (const d of deadLetters) pipeline.zrem(this.keys.deadLettersOfWebhook(d.webhookId), d.id).zrem(this.keys.deadLettersOfTenant(d.tenant), d.id);
    const [removed] = await execOrThrow(pipeline);
    return Number(removed);
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

function matches(deadLetter: DeadLetter, filter: DeadLetterFilter): boolean {
  return (
    (!filter.webhookId || deadLetter.webhookId === filter.webhookId) &&
    (!filter.type || deadLetter.event.type === filter.type) &&
    (!filter.tenant || deadLetter.tenant === filter.tenant)
  );
}
