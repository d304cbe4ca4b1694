// Reads the events stream as one consumer of the `fanout` group and turns each event into one
// delivery job per matching webhook. Entries are acknowledged only once their jobs exist.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import {
  FANOUT_GROUP,
  decodeStreamEntry,
  ensureFanoutGroup,
  isOperationalEventType,
  execOrThrow,
  deliveryJob,
  matchesAnyPattern,
  type DeliveryJobSpec,
  type Logger,
  type RedisKeys,
  type StoredEvent,
  type RedisClient,
} from '@herald/shared';
import type { WebhookCache } from '../webhook-cache';
import type { WorkerMetrics } from '../metrics';
import type { Service } from '../service';

export interface FanoutOptions {
  batchSize: number;
  /** Entries idle this long in another consumer's pending list are claimed. */
  claimIdleMs: number;
  idempotencyTtlSeconds: number;
  /** Approximate cap of the invalid-entries stream. */
  invalidMaxLen?: number;
}

type StreamEntry = [id: string, fields: string[]];

/** An operational event about a webhook is not sent to that webhook (a failing endpoint would feed itself). */
function isAbout(event: StoredEvent, webhookId: string): boolean {
  return isOperationalEventType(event.type) && event.data.webhookId === webhookId;
}
interface InvalidEntry {
  id: string;
  reason: string;
  fields: string[];
}

const BLOCK_MS = 1000;
/** Batches fanned out at once by one consumer. */
const MAX_BATCHES_IN_FLIGHT = 4;

export class FanoutConsumer implements Service {
  readonly name = 'fanout';
  readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wakeReclaim: (() => void) | undefined;

  constructor(
    /** A connection of its own: XREADGROUP BLOCK holds it. */
    private readonly blocking: RedisClient,
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly queue: Queue,
    private readonly webhooks: WebhookCache,
    private readonly metrics: WorkerMetrics,
    private readonly logger: Logger,
    private readonly options: FanoutOptions,
  ) {}

  async start(): Promise<void> {
    await this.ensureGroup();
    this.loops = [this.readLoop(), this.reclaimLoop()];
  }

  /** Stops reading; resolves once the batch in hand is fanned out and acknowledged. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeReclaim?.();
    await Promise.all(this.loops);
  }

  private ensureGroup(): Promise<void> {
    return ensureFanoutGroup(this.redis, this.keys);
  }

  /**
   * Reads the next batch while earlier ones are being fanned out (up to MAX_BATCHES_IN_FLIGHT at
   * once), so neither the read's round trip nor an earlier batch's is on the path from publish to
   * delivery. Batches are independent: each is acknowledged once its own jobs exist.
   */
  private async readLoop(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.stopping) {
      try {
        if (inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
        const reply = (await this.blocking.xreadgroup(
          'GROUP', FANOUT_GROUP, this.consumer,
          'COUNT', this.options.batchSize,
          'BLOCK', BLOCK_MS,
          'STREAMS', this.keys.eventsStream, '>',
        )) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1];
        // A batch that fails stays pending in the group, and is claimed again after claimIdleMs.
        // (Its recovery pause holds only its own slot: reading goes on while Redis answers.)
        if (entries && entries.length > 0) {
          const handling: Promise<void> = this.handle(entries)
            .catch((error: Error) => this.recover(error))
            .finally(() => inFlight.delete(handling));
          inFlight.add(handling);
        }
      } catch (error) {
        await this.recover(error as Error);
      }
    }
    await Promise.all(inFlight);
  }

  /** Claims entries that a dead consumer left pending, and fans them out here. */
  private async reclaimLoop(): Promise<void> {
    const interval = Math.max(500, Math.floor(this.options.claimIdleMs / 2));
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        this.wakeReclaim = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.stopping) return;
      try {
        let cursor = '0-0';
        do {
          const [next, entries] = (await this.redis.xautoclaim(
            this.keys.eventsStream, FANOUT_GROUP, this.consumer,
            this.options.claimIdleMs, cursor, 'COUNT', this.options.batchSize,
          )) as [string, (StreamEntry | null)[], ...unknown[]];
          const live = entries.filter((entry): entry is StreamEntry => entry !== null);
          if (live.length > 0) {
            this.logger.info({ count: live.length }, 'claimed entries left pending by another consumer');
            await this.handle(live);
          }
          cursor = next;
        } while (cursor !== '0-0' && !this.stopping);
        await this.forgetDeadConsumers();
      } catch (error) {
        await this.recover(error as Error);
      }
    }
  }

  /**
   * Every worker start joins the group under a new name; names of workers long gone, with nothing
   * pending, are removed so the group does not grow forever.
   */
  private async forgetDeadConsumers(): Promise<void> {
    const consumers = (await this.redis.xinfo('CONSUMERS', this.keys.eventsStream, FANOUT_GROUP)) as unknown[][];
    const forgetAfterMs = Math.max(10 * this.options.claimIdleMs, 600_000);
    for (const fields of consumers) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
      const name = String(info.get('name'));
      if (name !== this.consumer && Number(info.get('pending')) === 0 && Number(info.get('idle')) > forgetAfterMs) {
        await this.redis.xgroup('DELCONSUMER', this.keys.eventsStream, FANOUT_GROUP, name);
      }
    }
  }

  private async recover(error: Error): Promise<void> {
    if (this.stopping) return;
    if (error.message.includes('NOGROUP')) {
      this.logger.warn('events stream or fanout group vanished; recreating');
      await this.ensureGroup().catch(() => undefined);
      return;
    }
    this.logger.error({ err: error }, 'fan-out failed; retrying');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  /** Fans out a batch: jobs first (idempotent by job id), then invalid entries and XACK together. */
  async handle(entries: readonly StreamEntry[]): Promise<void> {
    await this.webhooks.refresh(0);
    const events: StoredEvent[] = [];
    const direct: StoredEvent[] = [];
    const invalid: InvalidEntry[] = [];
    const entryOf = new Map<StoredEvent, StreamEntry>();
    for (const [id, fields] of entries) {
      const decoded = decodeStreamEntry(id, fields);
      if (!decoded.ok) {
        invalid.push({ id, reason: decoded.reason, fields });
        continue;
      }
      if (!decoded.viaApi) direct.push(decoded.event);
      events.push(decoded.event);
      entryOf.set(decoded.event, [id, fields]);
    }
    const duplicates = await this.findDuplicates(direct);
    const accepted = duplicates.size === 0 ? events : events.filter((event) => !duplicates.has(event));
    invalid.push(...(await this.enqueue(accepted, entryOf)));

    const pipeline = this.redis.pipeline();
    for (const entry of invalid) {
      pipeline.xadd(
        this.keys.invalidEventsStream, 'MAXLEN', '~', this.options.invalidMaxLen ?? 100_000, '*',
        'entryId', entry.id, 'reason', entry.reason, 'fields', JSON.stringify(entry.fields), 'at', new Date().toISOString(),
      );
    }
    if (accepted.length > 0) {
      // Counts for GET /v1/events/stats and GET /v1/stats, sent with the XACK (no extra round trip).
      const minuteKey = this.keys.eventsInMinute(Math.floor(Date.now() / 60_000));
      pipeline.incrby(minuteKey, accepted.length).expire(minuteKey, 7200);
      const byType = new Map<string, number>();
      for (const event of accepted) {
        const field = `${event.tenant}:${event.type}`;
        byType.set(field, (byType.get(field) ?? 0) + 1);
      }
      for (const [field, count] of byType) pipeline.hincrby(this.keys.eventTypeCounts, field, count);
    }
    pipeline.xack(this.keys.eventsStream, FANOUT_GROUP, ...entries.map(([id]) => id));
    await execOrThrow(pipeline);

    for (const entry of invalid) this.logger.warn({ entryId: entry.id, reason: entry.reason }, 'invalid stream entry');
    if (invalid.length > 0) this.metrics.invalidEntries.inc(invalid.length);
    if (direct.length > duplicates.size) this.metrics.eventsIngested.inc({ source: 'stream' }, direct.length - duplicates.size);
  }

  /**
   * Adds the delivery jobs of `events` in one addBulk. Should that fail for a reason other than
   * Redis being away, each event is retried alone, so one event BullMQ refuses cannot hold back the
   * others: it is returned to go to the invalid stream.
   */
  private async enqueue(events: readonly StoredEvent[], entryOf: Map<StoredEvent, StreamEntry>): Promise<InvalidEntry[]> {
    const jobsOf = (event: StoredEvent): DeliveryJobSpec[] =>
      this.webhooks
        .forTenant(event.tenant)
        .filter((webhook) => webhook.enabled && matchesAnyPattern(webhook.events, event.type) && !isAbout(event, webhook.id))
        .map((webhook) => deliveryJob(event, webhook));
    const jobs = events.flatMap(jobsOf);
    if (jobs.length === 0) return [];
    try {
      await this.queue.addBulk(jobs);
      return [];
    } catch (error) {
      if (this.redis.status !== 'ready') throw error;
      this.logger.warn({ err: (error as Error).message }, 'addBulk failed; adding event by event');
    }
    const refused: InvalidEntry[] = [];
    for (const event of events) {
      const eventJobs = jobsOf(event);
      if (eventJobs.length === 0) continue;
      try {
        await this.queue.addBulk(eventJobs);
      } catch (error) {
        if (this.redis.status !== 'ready') throw error;
        const [id, fields] = entryOf.get(event) ?? [event.id, []];
        refused.push({ id, reason: `could not enqueue deliveries: ${(error as Error).message}`, fields });
      }
    }
    return refused;
  }

  /**
   * Of events written straight to the stream, those whose idempotency key another entry already
   * used: the first entry checked wins for the key's TTL (batches are checked concurrently, by this
   * worker and others, so close entries may not keep stream order). The API checks keys before it
   * appends.
   */
  private async findDuplicates(direct: readonly StoredEvent[]): Promise<Set<StoredEvent>> {
    const duplicates = new Set<StoredEvent>();
    const keyed = direct.filter((event) => event.idempotencyKey !== undefined);
    if (keyed.length === 0) return duplicates;
    const pipeline = this.redis.pipeline();
    for (const event of keyed) {
      const key = this.keys.idempotency(event.tenant, event.idempotencyKey as string);
      pipeline.set(key, event.id, 'EX', this.options.idempotencyTtlSeconds, 'NX').get(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    keyed.forEach((event, index) => {
      const [error, owner] = replies[index * 2 + 1] ?? [];
      if (error) throw error;
      if (owner !== event.id) {
        duplicates.add(event);
        this.logger.info({ eventId: event.id, firstEventId: owner }, 'duplicate idempotency key; event skipped');
      }
    });
    return duplicates;
  }
}
