// Recent events, read back from the events stream itself (no second copy is kept).
import { decodeStreamEntry, type RedisKeys, type StoredEvent, type RedisClient } from '@herald/shared';

/** How far back the history reaches: the newest entries of the stream. */
export const HISTORY_SIZE = 1000;

export class EventHistory {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** The newest events (of the last HISTORY_SIZE), newest first, optionally of one tenant and type. */
  async recent(filter: { tenant?: string; type?: string }, limit: number): Promise<StoredEvent[]> {
    const entries = (await this.redis.xrevrange(this.keys.eventsStream, '+', '-', 'COUNT', HISTORY_SIZE)) as [string, string[]][];
    const events: StoredEvent[] = [];
    for (const [id, fields] of entries) {
      const decoded = decodeStreamEntry(id, fields);
      if (!decoded.ok) continue;
      if (filter.tenant && decoded.event.tenant !== filter.tenant) continue;
      if (filter.type && decoded.event.type !== filter.type) continue;
      events.push(decoded.event);
      if (events.length >= limit) break;
    }
    return events;
  }

  /**
   * The newest events that `accept` takes, newest first, at most `limit`, looking through at most
   * `scanLimit` stream entries (read a page at a time, so a short answer stops early).
   */
  async newest(accept: (event: StoredEvent) => boolean, limit: number, scanLimit: number): Promise<{ events: StoredEvent[]; scanned: number }> {
    const events: StoredEvent[] = [];
    let scanned = 0;
    let end = '+';
    while (events.length < limit && scanned < scanLimit) {
      const count = Math.min(HISTORY_SIZE, scanLimit - scanned);
      const entries = (await this.redis.xrevrange(this.keys.eventsStream, end, '-', 'COUNT', count)) as [string, string[]][];
      for (const [id, fields] of entries) {
        scanned += 1;
        const decoded = decodeStreamEntry(id, fields);
        if (decoded.ok && accept(decoded.event)) events.push(decoded.event);
        if (events.length >= limit) break;
      }
      const last = entries.at(-1);
      if (entries.length < count || last === undefined) break;
      end = `(${last[0]}`;
    }
    return { events, scanned };
  }

  async find(eventId: string): Promise<StoredEvent | null> {
    return (await this.recent({}, HISTORY_SIZE)).find((event) => event.id === eventId) ?? null;
  }

  /** Events fanned out per event type (since the counters began), for one tenant or all. */
  async countsByType(tenant?: string): Promise<Record<string, number>> {
    const all = await this.redis.hgetall(this.keys.eventTypeCounts);
    const counts: Record<string, number> = {};
    for (const [field, value] of Object.entries(all)) {
      const separator = field.indexOf(':');
      const fieldTenant = field.slice(0, separator);
      const type = field.slice(separator + 1);
      if (tenant !== undefined && fieldTenant !== tenant) continue;
      counts[type] = (counts[type] ?? 0) + Number(value);
    }
    return counts;
  }
}
