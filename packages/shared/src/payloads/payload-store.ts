// Event payloads stored once per event for the deliveries of it that wait (retry jobs, parked
// deliveries, dead letters), which carry its id instead of a copy, with a count of the deliveries
// that refer to it. The Lua side is payloads.lua.
import { join } from 'node:path';
import type { RedisKeys } from '../keys';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import { storedEventSchema, type StoredEvent } from '../schemas/event';
import { safeJson } from '../store/safe-json';

const RETAIN = new LuaScript(join(__dirname, 'retain-payloads-n.lua'));
const RELEASE = new LuaScript(join(__dirname, 'release-payloads-n.lua'));

/** Where the event's JSON begins in a stored payload: after the count of references (8 hex digits). */
const JSON_OFFSET = 8;

export class PayloadStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** One delivery of each event starts to wait (as a job): a reference each, the payload stored where it is not yet. */
  async retain(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    await RETAIN.run(this.redis, events.map((event) => this.keys.payload(event.id)), events.map((event) => JSON.stringify(event)));
  }

  /** One delivery of each event is done: a reference less each; a payload goes with its last. */
  async release(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await RELEASE.run(this.redis, eventIds.map((id) => this.keys.payload(id)), []);
  }

  /** How many waiting deliveries refer to an event's payload (0: none is stored). */
  async references(eventId: string): Promise<number> {
    const count = await this.redis.getrange(this.keys.payload(eventId), 0, JSON_OFFSET - 1);
    return count ? Number.parseInt(count, 16) : 0;
  }

  /** An event's payload, or undefined when none is stored (no delivery of it waits). */
  async get(eventId: string): Promise<StoredEvent | undefined> {
    return (await this.getMany([eventId])).get(eventId);
  }

  /** The payloads stored among these events', by event id. */
  async getMany(eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
    const unique = [...new Set(eventIds)];
    const found = new Map<string, StoredEvent>();
    if (unique.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const id of unique) pipeline.getrange(this.keys.payload(id), JSON_OFFSET, -1);
    const replies = (await pipeline.exec()) ?? [];
    unique.forEach((id, i) => {
      const [error, json] = replies[i] ?? [];
      if (error) throw error;
      const parsed = typeof json === 'string' && json !== '' ? storedEventSchema.safeParse(safeJson(json)) : undefined;
      if (parsed?.success) found.set(id, parsed.data);
    });
    return found;
  }
}
