// Accepts validated events: idempotency check and XADD to the events stream, one round trip per request.
import { join } from 'node:path';
import { LuaScript, newEventId, STREAM_FIELDS, type ParsedEventInput, type RedisKeys, type RedisClient } from '@herald/shared';

const INGEST_EVENT = new LuaScript(join(__dirname, '..', 'lua', 'ingest-event-2.lua'));

/** ingest-event-2.lua's arguments, by name. */
function ingestArgs(a: { eventId: string; ttlSeconds: number; streamMaxLen: number; json: string; nowMs: number }): (string | number)[] {
  return [a.eventId, a.ttlSeconds, a.streamMaxLen, a.json, a.nowMs];
}


export interface IngestResult {
  /** Herald's event id: for a duplicate, the id its idempotency key was first accepted as. */
  id: string;
  duplicate: boolean;
}

export interface EventIngestOptions {
  streamMaxLen: number;
  idempotencyTtlSeconds: number;
}

export class EventIngest {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: EventIngestOptions,
  ) {
    INGEST_EVENT.define(redis);
  }

  /**
   * Appends the events in order; an event with an idempotency key already seen is not appended
   * again. A batch is appended in one MULTI, so a consumer blocked on the stream wakes once with the
   * whole batch rather than with its first event, and another client's entries never land inside it.
   */
  async ingest(events: readonly ParsedEventInput[], nowMs: number = Date.now()): Promise<IngestResult[]> {
    const transaction = this.redis.multi();
    const ids: string[] = [];
    for (const event of events) {
      const eventId = newEventId(nowMs);
      ids.push(eventId);
      const json = JSON.stringify(event);
      if (event.id === undefined) {
        transaction.xadd(
          this.keys.eventsStream, 'MAXLEN', '~', this.options.streamMaxLen, '*',
          STREAM_FIELDS.event, json, STREAM_FIELDS.eventId, eventId, STREAM_FIELDS.receivedAt, String(nowMs),
        );
      } else {
        INGEST_EVENT.queue(
          transaction,
          [this.keys.idempotency(event.tenant, event.id), this.keys.eventsStream],
          ingestArgs({ eventId, ttlSeconds: this.options.idempotencyTtlSeconds, streamMaxLen: this.options.streamMaxLen, json, nowMs }),
        );
      }
    }
    const replies = (await transaction.exec()) ?? [];
    return replies.map(([error, reply], index) => {
      if (error) throw error;
      if (Array.isArray(reply)) return { id: String(reply[1]), duplicate: reply[0] === 0 };
      return { id: ids[index] as string, duplicate: false };
    });
  }
}
