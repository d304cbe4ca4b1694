// Web Crypto's randomUUID (global in Node 20 and browsers), so the client also runs in browsers.
import type { Event, EventDetail, EventInput, EventListQuery, PublishResult } from '../types';
import { unwrap, type RequestContext } from './request';

export class EventsResource {
  constructor(private readonly context: RequestContext) {}

  /**
   * Publishes one event → `{ id, duplicate }`. The event's `id` is its idempotency key; without
   * one, the SDK makes one up and sends it as `Idempotency-Key`, so that a publish the SDK retries
   * (after a 503 or a lost connection) is accepted once.
   */
  async publish(event: EventInput): Promise<PublishResult> {
    const key = event.id ?? globalThis.crypto.randomUUID();
    return unwrap(
      await this.context.api.POST('/v1/events', {
        body: event,
        params: { header: { 'Idempotency-Key': key } },
        fetch: this.context.fetchFor({ idempotent: true }),
      }),
    );
  }

  /** Publishes 1 to 1,000 events at once, all or nothing; each gets an idempotency key (`id`) if it has none. */
  async publishBatch(events: readonly EventInput[]): Promise<PublishResult[]> {
    const keyed = events.map((event) => (event.id === undefined ? { ...event, id: globalThis.crypto.randomUUID() } : event));
    const result = unwrap(await this.context.api.POST('/v1/events/batch', { body: { events: keyed }, fetch: this.context.fetchFor({ idempotent: true }) }));
    return result.events;
  }

  /** An event (while among the newest 1,000) and every attempt at delivering it. */
  async get(id: string): Promise<EventDetail> {
    return unwrap(await this.context.api.GET('/v1/events/{id}', { params: { path: { id } } }));
  }

  /** Recent events, newest first. */
  async list(query: EventListQuery = {}): Promise<Event[]> {
    return unwrap(await this.context.api.GET('/v1/events', { params: { query } })).data;
  }
}
