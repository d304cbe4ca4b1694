// Recent events, read back from the events stream itself (no second copy is kept).
import { decodeStreamEntry, type PartitionLayout, type RedisKeys, type StoredEvent, type RedisClient } from '@herald/shared';

/** How far back the history reaches: the newest entries of the stream (of each partition's). */
export const HISTORY_SIZE = 1000;

export class EventHistory {
  constructor(
    private readonly redis: RedisClient,
    private readonly layout: PartitionLayout,
  ) {}

  /**
   * The newest events (of the last HISTORY_SIZE of each partition), newest first, optionally of one
   * tenant and type. Entries fan-out routed between partitions are copies, and are left out.
   */
  async recent(filter: { tenant?: string; type?: string }, limit: number): Promise<StoredEvent[]> {
    const accept = (event: StoredEvent) => (!filter.tenant || event.tenant === filter.tenant) && (!filter.type || event.type === filter.type);
    return (await this.newest(accept, limit, HISTORY_SIZE * this.layout.count)).events;
  }

  /**
   * The newest events that `accept` takes, newest first, at most `limit`, looking through at most
   * `scanLimit` stream entries (over the partitions, each its share; read a page at a time, so a
   * short answer stops early).
   */
  async newest(accept: (event: StoredEvent) => boolean, limit: number, scanLimit: number): Promise<{ events: StoredEvent[]; scanned: number }> {
    const share = Math.ceil(scanLimit / this.layout.count);
    const found = await Promise.all(this.layout.all().map((n) => this.newestIn(this.layout.keys(n), accept, limit, share)));
    const events = found.flatMap((part) => part.events);
    if (found.length > 1) events.sort((a, b) => b.at - a.at || (b.entryId > a.entryId ? 1 : b.entryId < a.entryId ? -1 : 0));
    return { events: events.slice(0, limit).map(({ event }) => event), scanned: found.reduce((total, part) => total + part.scanned, 0) };
  }

  private async newestIn(
    keys: RedisKeys,
    accept: (event: StoredEvent) => boolean,
    limit: number,
    scanLimit: number,
  ): Promise<{ events: { event: StoredEvent; at: number; entryId: string }[]; scanned: number }> {
    const events: { event: StoredEvent; at: number; entryId: string }[] = [];
    let scanned = 0;
    let end = '+';
    while (events.length < limit && scanned < scanLimit) {
      const count = Math.min(HISTORY_SIZE, scanLimit - scanned);
      const entries = (await this.redis.xrevrange(keys.eventsStream, end, '-', 'COUNT', count)) as [string, string[]][];
      for (const [id, fields] of entries) {
        scanned += 1;
        const decoded = decodeStreamEntry(id, fields, keys.partition);
        // Entries routed here from another partition are copies of events listed there.
        if (decoded.ok && 'event' in decoded && !decoded.targets && accept(decoded.event)) events.push({ event: decoded.event, at: Number(id.split('-')[0]), entryId: id });
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
    const hashes = await Promise.all(this.layout.all().map((n) => this.redis.hgetall(this.layout.keys(n).eventTypeCounts)));
    const counts: Record<string, number> = {};
    for (const [field, value] of hashes.flatMap((all) => Object.entries(all))) {
      const separator = field.indexOf(':');
      const fieldTenant = field.slice(0, separator);
      const type = field.slice(separator + 1);
      if (tenant !== undefined && fieldTenant !== tenant) continue;
      counts[type] = (counts[type] ?? 0) + Number(value);
    }
    return counts;
  }
}
