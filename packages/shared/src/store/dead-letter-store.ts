import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis-client';
import type { RedisKeys } from '../keys';
import { defineScripts, runScript } from '../lua/scripts';
import { execOrThrow } from '../redis';
import { deadLetterSchema, type DeadLetter } from '../schemas/delivery';

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

export function encodeCursor(cursor: DeadLetterCursor): string {
  return `${cursor.score}:${cursor.id}`;
}

export function decodeCursor(text: string): DeadLetterCursor | null {
  const separator = text.indexOf(':');
  const score = Number(text.slice(0, separator));
  const id = text.slice(separator + 1);
  return separator > 0 && Number.isFinite(score) && id ? { score, id } : null;
}

/** Dead letters: a hash of JSON documents by delivery id, indexed by time in a sorted set. */
export class DeadLetterStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineScripts(redis);
  }

  /** How a dead letter is stored: its JSON in the hash, its time as the sorted set's score. */
  static encode(deadLetter: DeadLetter): { id: string; json: string; score: number } {
    return { id: deadLetter.id, json: JSON.stringify(deadLetter), score: Date.parse(deadLetter.deadLetteredAt) };
  }

  /** Queues the commands that park a dead letter on `pipeline` (the caller sends them with its own). */
  addTo(pipeline: ChainableCommander, deadLetter: DeadLetter): ChainableCommander {
    const { id, json, score } = DeadLetterStore.encode(deadLetter);
    return pipeline.hset(this.keys.deadLetters, id, json).zadd(this.keys.deadLettersByTime, score, id);
  }

  private removeTo(pipeline: ChainableCommander, ids: readonly string[]): ChainableCommander {
    return pipeline.hdel(this.keys.deadLetters, ...ids).zrem(this.keys.deadLettersByTime, ...ids);
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

  /** Newest first, at most `limit` matching `filter`, continuing after `after` when given. */
  async list(filter: DeadLetterFilter, limit: number, after?: DeadLetterCursor | null): Promise<DeadLetterPage> {
    const found: DeadLetter[] = [];
    const min = filter.sinceMs === undefined ? '-inf' : String(filter.sinceMs);
    let cursor = after ?? null;
    let offset = 0;
    for (;;) {
      const max = cursor ? String(cursor.score) : filter.beforeMs === undefined ? '+inf' : `(${filter.beforeMs}`;
      const page = await this.redis.zrevrangebyscore(
        this.keys.deadLettersByTime, max, min, 'WITHSCORES', 'LIMIT', offset, SCAN_PAGE,
      );
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

  async count(): Promise<number> {
    return this.redis.zcard(this.keys.deadLettersByTime);
  }

  /** Removes dead letters; returns how many there were. */
  async remove(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [removed] = await execOrThrow(this.removeTo(this.redis.multi(), ids));
    return Number(removed);
  }

  /**
   * Removes replayed dead letters that are still at the replay count they were replayed from;
   * one whose replay already failed again (and was re-parked) stays. Returns how many went.
   */
  async removeReplayed(replayed: readonly Pick<DeadLetter, 'id' | 'replays'>[]): Promise<number> {
    if (replayed.length === 0) return 0;
    const args = replayed.flatMap((d) => [d.id, String(d.replays)]);
    return Number(await runScript(this.redis, 'heraldRemoveReplayedDeadLetters', [this.keys.deadLetters, this.keys.deadLettersByTime], args));
  }
}

function matches(deadLetter: DeadLetter, filter: DeadLetterFilter): boolean {
  return (
    (!filter.webhookId || deadLetter.webhookId === filter.webhookId) &&
    (!filter.type || deadLetter.event.type === filter.type) &&
    (!filter.tenant || deadLetter.tenant === filter.tenant)
  );
}
