// Fan-out's hop between partitions: an event read in one partition whose webhooks live in others is
// written into each of those partitions' streams, once, naming its webhooks there; their workers
// deliver it as they deliver any entry (route-events-n.lua). The source acknowledges its entry only
// after every write, and then lets the markers go.
import { join } from 'node:path';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import type { StoredEvent } from '../schemas/event';
import { routedEntryFields } from '../stream-entry';
import type { PartitionLayout } from './partition-layout';

const ROUTE = new LuaScript(join(__dirname, 'route-events-n.lua'));

/** How long a routed event's marker lives if its source never lets it go (a crash after the acknowledgement). */
const ROUTED_MARKER_TTL_SECONDS = 86_400;

export interface RoutedEvent {
  event: StoredEvent;
  /** Its webhooks in other partitions than the router's. */
  webhookIds: readonly string[];
}

export class EventRouter {
  constructor(
    private readonly redis: RedisClient,
    private readonly layout: PartitionLayout,
    /** The partition whose stream this router's fan-out reads. */
    readonly from: number,
  ) {}

  /** Whether a webhook lives in another partition than this router's. */
  elsewhere(webhookId: string): boolean {
    return this.layout.ofWebhook(webhookId) !== this.from;
  }

  /**
   * Writes each event into the partitions of its webhooks, one entry per partition naming the
   * webhooks there, one command per partition. Returns the partitions each event went to, and what
   * failed: the events (with only their webhooks there) of partitions whose write failed.
   */
  async route(routed: readonly RoutedEvent[]): Promise<{ done: Map<string, number[]>; failed: RoutedEvent[] }> {
    const byPartition = new Map<number, Map<StoredEvent, string[]>>();
    for (const { event, webhookIds } of routed) {
      for (const webhookId of webhookIds) {
        const partition = this.layout.ofWebhook(webhookId);
        let events = byPartition.get(partition);
        if (!events) byPartition.set(partition, (events = new Map()));
        const ids = events.get(event);
        if (ids) ids.push(webhookId);
        else events.set(event, [webhookId]);
      }
    }
    const done = new Map<string, number[]>();
    const failed: RoutedEvent[] = [];
    await Promise.all(
      [...byPartition].map(async ([partition, events]) => {
        const keys = this.layout.keys(partition);
        const entries = [...events];
        try {
          await ROUTE.run(
            this.redis,
            [keys.eventsStream, ...entries.map(([event]) => keys.routedEvent(event.id))],
            [ROUTED_MARKER_TTL_SECONDS, ...entries.flatMap(([event, ids]) => routedEntryFields(event, ids))],
          );
        } catch {
          for (const [event, webhookIds] of entries) failed.push({ event, webhookIds });
          return;
        }
        for (const [event] of entries) done.set(event.id, [...(done.get(event.id) ?? []), partition]);
      }),
    );
    return { done, failed };
  }

  /** Lets go of the markers of events whose source entries are acknowledged. */
  async forget(events: ReadonlyMap<string, readonly number[]>): Promise<void> {
    const byPartition = new Map<number, string[]>();
    for (const [eventId, partitions] of events) {
      for (const partition of partitions) {
        const key = this.layout.keys(partition).routedEvent(eventId);
        const keys = byPartition.get(partition);
        if (keys) keys.push(key);
        else byPartition.set(partition, [key]);
      }
    }
    await Promise.all([...byPartition].map(([, keys]) => this.redis.del(...keys)));
  }
}
