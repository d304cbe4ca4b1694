import type { ChainableCommander, Redis } from 'ioredis';
import type { RedisKeys } from '../keys';
import { deadLetterSchema, type DeadLetter } from '../schemas/delivery';

export interface DeadLetterFilter {
  webhookId?: string;
  type?: string;
  tenant?: string;
  /** Only those dead-lettered at or after this time (unix ms). */
  sinceMs?: number;
  /** Only those dead-lettered before this time (unix ms): the cursor for the next page. */
  beforeMs?: number;
}

const SCAN_PAGE = 500;

/** Dead letters: a hash of JSON documents by delivery id, indexed by time in a sorted set. */
export class DeadLetterStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Queues the commands that park a dead letter on `pipeline` (the caller sends them with its own). */
  addTo(pipeline: ChainableCommander, deadLetter: DeadLetter): ChainableCommander {
    return pipeline
      .hset(this.keys.deadLetters, deadLetter.id, JSON.stringify(deadLetter))
      .zadd(this.keys.deadLettersByTime, Date.parse(deadLetter.deadLetteredAt), deadLetter.id);
  }

  /** Queues the commands that remove dead letters on `pipeline`. */
  removeTo(pipeline: ChainableCommander, ids: readonly string[]): ChainableCommander {
    return pipeline.hdel(this.keys.deadLetters, ...ids).zrem(this.keys.deadLettersByTime, ...ids);
  }

  async get(id: string): Promise<DeadLetter | null> {
    const json = await this.redis.hget(this.keys.deadLetters, id);
    return json ? deadLetterSchema.parse(JSON.parse(json)) : null;
  }

  async getMany(ids: readonly string[]): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const jsons = await this.redis.hmget(this.keys.deadLetters, ...ids);
    return jsons.flatMap((json) => (json ? [deadLetterSchema.parse(JSON.parse(json))] : []));
  }

  /** Newest first, at most `limit`, matching `filter`. */
  async list(filter: DeadLetterFilter, limit: number): Promise<DeadLetter[]> {
    const found: DeadLetter[] = [];
    let max = filter.beforeMs === undefined ? '+inf' : `(${filter.beforeMs}`;
    const min = filter.sinceMs === undefined ? '-inf' : String(filter.sinceMs);
    for (;;) {
      const page = await this.redis.zrevrangebyscore(
        this.keys.deadLettersByTime, max, min, 'WITHSCORES', 'LIMIT', 0, SCAN_PAGE,
      );
      if (page.length === 0) return found;
      const ids = page.filter((_, index) => index % 2 === 0);
      for (const deadLetter of await this.getMany(ids)) {
        if (filter.webhookId && deadLetter.webhookId !== filter.webhookId) continue;
        if (filter.type && deadLetter.event.type !== filter.type) continue;
        if (filter.tenant && deadLetter.tenant !== filter.tenant) continue;
        found.push(deadLetter);
        if (found.length >= limit) return found;
      }
      if (ids.length < SCAN_PAGE) return found;
      // Continue below the lowest score seen; ties at that score were all in this page or are re-read.
      max = `(${page[page.length - 1]}`;
    }
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.keys.deadLettersByTime);
  }

  /** Removes dead letters; returns how many there were. */
  async remove(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.removeTo(this.redis.multi(), ids).exec();
    const [hdelReply] = result ?? [];
    if (hdelReply?.[0]) throw hdelReply[0];
    return Number(hdelReply?.[1] ?? 0);
  }
}
