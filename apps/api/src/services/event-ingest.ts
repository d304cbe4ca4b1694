// Accepts validated events: idempotency check and XADD to the events stream, one script call per request.
import { join } from 'node:path';
import { BacklogFullError, FANOUT_GROUP, LuaScript, newEventId, STREAM_FIELDS, type ParsedEventInput, type PartitionLayout, type RedisClient } from '@herald/shared';
import type { PublishResult } from '../schemas/responses';
import type { OrderedTenants } from './ordered-tenants';

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
    private readonly layout: PartitionLayout,
    private readonly options: EventIngestOptions,
    private readonly storage?: { assertRoom(): void },
    /** With partitions: the tenants with FIFO webhooks, whose events go to their ordered partition. */
    private readonly orderedTenants?: OrderedTenants,
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
    // With partitions each event goes to the partition of its tenant and idempotency key (else its
    // id), where its key is checked: one script call per partition the request touches.
    const ids = events.map(() => newEventId(nowMs));
    const byPartition = new Map<number, number[]>();
    const ordered = this.layout.partitioned && this.orderedTenants ? await this.orderedTenants.current(nowMs) : undefined;
    events.forEach(({ event }, i) => {
      const partition = this.layout.ofIngest(event.tenant, event.id ?? (ids[i] as string), ordered?.has(event.tenant));
      const list = byPartition.get(partition);
      if (list) list.push(i);
      else byPartition.set(partition, [i]);
    });
    const results: PublishResult[] = new Array<PublishResult>(events.length);
    const refused: BacklogFullError[] = [];
    await Promise.all(
      [...byPartition].map(async ([partition, indexes]) => {
        const keys = this.layout.keys(partition);
        const scriptKeys = [keys.eventsStream];
        const args: (string | number)[] = [
          this.options.streamMaxLen, this.options.idempotencyTtlSeconds, nowMs, STREAM_FIELDS.event, STREAM_FIELDS.eventId, STREAM_FIELDS.receivedAt,
          FANOUT_GROUP,
        ];
        for (const i of indexes) {
          const { event, json } = events[i] as AcceptedEvent;
          args.push(ids[i] as string, json, event.id === undefined ? 0 : 1);
          if (event.id !== undefined) scriptKeys.push(keys.idempotency(event.tenant, event.id));
        }
        const reply = (await INGEST_EVENTS.run(this.redis, scriptKeys, args)) as (number | string)[];
        if (reply[0] === 'backlog_full') {
          refused.push(new BacklogFullError(Number(reply[1]), this.options.streamMaxLen));
          return;
        }
        indexes.forEach((i, n) => (results[i] = { id: String(reply[2 * n + 1]), duplicate: Number(reply[2 * n]) === 0 }));
      }),
    );
    // A partition's backlog at its cap refuses the request (events of other partitions in it may
    // have been accepted: a producer retrying with `id`s gets those back as duplicates).
    if (refused.length > 0) throw refused[0] as BacklogFullError;
    return results;
  }
}
