// Event payloads stored once per event for the deliveries of it that wait (retry jobs, parked
// deliveries, dead letters), which carry its id instead of a copy. The Lua side is payloads.lua.
import { join } from 'node:path';
import type { RedisKeys } from '../keys';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import { storedEventSchema, type StoredEvent } from '../schemas/event';
import { safeJson } from '../store/safe-json';

const RETAIN = new LuaScript(join(__dirname, 'retain-payloads-n.lua'));
const RELEASE = new LuaScript(join(__dirname, 'release-payloads-n.lua'));

/** A delivery's reference to its event's payload. */
export interface PayloadRef {
  event: StoredEvent;
  webhookId: string;
}

export class PayloadStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** These deliveries refer to their events' payloads, stored now where they are not yet. */
  async retain(refs: readonly PayloadRef[]): Promise<void> {
    if (refs.length === 0) return;
    await RETAIN.run(this.redis, refs.map((ref) => this.keys.payload(ref.event.id)), refs.flatMap((ref) => [JSON.stringify(ref.event), ref.webhookId]));
  }

  /** These deliveries no longer refer to their events' payloads; a payload goes with its last reference. */
  async release(refs: readonly { eventId: string; webhookId: string }[]): Promise<void> {
    if (refs.length === 0) return;
    await RELEASE.run(this.redis, refs.map((ref) => this.keys.payload(ref.eventId)), refs.map((ref) => ref.webhookId));
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
    for (const id of unique) pipeline.hget(this.keys.payload(id), 'e');
    const replies = (await pipeline.exec()) ?? [];
    unique.forEach((id, i) => {
      const [error, json] = replies[i] ?? [];
      if (error) throw error;
      const parsed = typeof json === 'string' ? storedEventSchema.safeParse(safeJson(json)) : undefined;
      if (parsed?.success) found.set(id, parsed.data);
    });
    return found;
  }
}
