// Accepts validated events: idempotency check and XADD to the events stream, one script call per request.
import { join } from 'node:path';
import { BacklogFullError, FANOUT_GROUP, LuaScript, newEventId, STREAM_FIELDS, type ParsedEventInput, type RedisKeys, type RedisClient } from '@herald/shared';
import type { PublishResult } from '../schemas/responses';

const INGEST_EVENTS = new LuaScript(join(__dirname, '..', 'lua', 'ingest-events-n.lua'));

/** An event ready to append: its tenant and id settled, and `json` the text that is stored. */
export interface AcceptedEvent {
  event: ParsedEventInput;
  json: string;
}

export interface EventIngestOptions {
  /** The most events the stream may hold unread by the workers; past it, nothing is accepted. */
  streamMaxLen: number;
  idempotencyTtlSeconds: number;
}

export class EventIngest {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: EventIngestOptions,
    private readonly storage?: { assertRoom(): void },
  ) {}

  /**
   * Appends the events in order; an event with an idempotency key already seen is not appended
   * again. A request's events are appended by one script call (ingest-events-n.lua): a consumer
   * blocked on the stream wakes once with the whole batch rather than with its first event, and
   * another client's entries never land inside it. Throws, having accepted nothing,
   * StorageFullError while Redis is too full, and BacklogFullError while the workers' unread
   * backlog is at `streamMaxLen`.
   */
  async ingest(events: readonly AcceptedEvent[], nowMs: number = Date.now()): Promise<PublishResult[]> {
    this.storage?.assertRoom();
    const keys = [this.keys.eventsStream];
    const args: (string | number)[] = [
      this.options.streamMaxLen, this.options.idempotencyTtlSeconds, nowMs, STREAM_FIELDS.event, STREAM_FIELDS.eventId, STREAM_FIELDS.receivedAt,
      FANOUT_GROUP,
    ];
    for (const { event, json } of events) {
      args.push(newEventId(nowMs), json, event.id === undefined ? 0 : 1);
      if (event.id !== undefined) keys.push(this.keys.idempotency(event.tenant, event.id));
    }
    const reply = (await INGEST_EVENTS.run(this.redis, keys, args)) as (number | string)[];
    if (reply[0] === 'backlog_full') throw new BacklogFullError(Number(reply[1]), this.options.streamMaxLen);
    return events.map((_, i) => ({ id: String(reply[2 * i + 1]), duplicate: Number(reply[2 * i]) === 0 }));
  }
}
