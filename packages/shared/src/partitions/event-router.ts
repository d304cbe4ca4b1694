// Fan-out's hop between partitions: the events of a fan-out batch whose webhooks live in other
// partitions are written into each of those partitions' streams, one entry per partition naming
// each event's webhooks there, each event once; their workers deliver them as they deliver any
// entry (route-events-n.lua). The source acknowledges its entries only after every write, and then
// lets the markers go.
import { join } from 'node:path';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import { STREAM_FIELDS, routedItem, type RoutedEvent } from '../stream-entry';
import type { PartitionLayout } from './partition-layout';

export type { RoutedEvent };

const ROUTE = new LuaScript(join(__dirname, 'route-events-n.lua'));

/** How long a marker set lives after its last write, should its source never let its ids go (a crash after the acknowledgement). */
const ROUTED_MARKER_TTL_SECONDS = 86_400;
/**
 * Most events in one routed entry: a worker reads entries by the deliveries it expects of each,
 * so an entry stays about the size of a fan-out batch.
 */
const ROUTED_ENTRY_MAX_EVENTS = 100;
const HOUR_MS = 3_600_000;

/** The marker set an event's id goes into, in each partition it is routed to: by the hour it was received. */
function markerHour(receivedAt: number): number {
  return Math.floor(receivedAt / HOUR_MS);
}

/** An event routed into other partitions, whose markers there go once its source entry is acknowledged. */
export interface RoutedMarkers {
  eventId: string;
  receivedAt: number;
  partitions: readonly number[];
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
   * Writes the events into the partitions of their webhooks: one entry per partition (of at most
   * ROUTED_ENTRY_MAX_EVENTS events) naming each event's webhooks there, one command each.
   * `mayRepeat`: some of them may have been written before (their source entries were claimed, or
   * a write is tried again); those are left out. Returns the partitions each event went to, and
   * what failed: the events (with only their webhooks there) of writes that failed.
   */
  async route(routed: readonly RoutedEvent[], { mayRepeat }: { mayRepeat: boolean }): Promise<{ done: Map<string, number[]>; failed: RoutedEvent[] }> {
    const byPartition = new Map<number, Map<RoutedEvent['event'], string[]>>();
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
    const writes: { partition: number; events: RoutedEvent[] }[] = [];
    for (const [partition, events] of byPartition) {
      const all = [...events].map(([event, webhookIds]) => ({ event, webhookIds }));
      for (let i = 0; i < all.length; i += ROUTED_ENTRY_MAX_EVENTS) writes.push({ partition, events: all.slice(i, i + ROUTED_ENTRY_MAX_EVENTS) });
    }
    const done = new Map<string, number[]>();
    const failed: RoutedEvent[] = [];
    await Promise.all(
      writes.map(async ({ partition, events }) => {
        try {
          await this.write(partition, events, mayRepeat);
        } catch {
          failed.push(...events);
          return;
        }
        for (const { event } of events) done.set(event.id, [...(done.get(event.id) ?? []), partition]);
      }),
    );
    return { done, failed };
  }

  private write(partition: number, events: readonly RoutedEvent[], mayRepeat: boolean): Promise<unknown> {
    const keys = this.layout.keys(partition);
    const markerKeys = new Map<number, number>();
    const args: (string | number)[] = [STREAM_FIELDS.routed, ROUTED_MARKER_TTL_SECONDS, mayRepeat ? '1' : '0'];
    for (const routed of events) {
      const hour = markerHour(routed.event.receivedAt);
      let place = markerKeys.get(hour);
      if (place === undefined) markerKeys.set(hour, (place = markerKeys.size + 2));
      args.push(place, routed.event.id, routedItem(routed));
    }
    return ROUTE.run(this.redis, [keys.eventsStream, ...[...markerKeys.keys()].map((hour) => keys.routedEvents(hour))], args);
  }

  /** Lets go of the markers of events whose source entries are acknowledged: one command per partition and hour. */
  async forget(events: Iterable<RoutedMarkers>): Promise<void> {
    const byKey = new Map<string, string[]>();
    for (const { eventId, receivedAt, partitions } of events) {
      for (const partition of partitions) {
        const key = this.layout.keys(partition).routedEvents(markerHour(receivedAt));
        const ids = byKey.get(key);
        if (ids) ids.push(eventId);
        else byKey.set(key, [eventId]);
      }
    }
    await Promise.all([...byKey].map(([key, ids]) => this.redis.srem(key, ...ids)));
  }
}
