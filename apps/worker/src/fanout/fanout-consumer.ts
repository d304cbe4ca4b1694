// Reads the events stream as one consumer of the `fanout` group and turns each event into one
// delivery job per matching webhook. Entries are acknowledged only once their jobs exist.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import {
  FANOUT_GROUP,
  decodeStreamEntry,
  deliveryJob,
  matchesAnyPattern,
  type DeliveryJobSpec,
  type Logger,
  type RedisKeys,
  type StoredEvent,
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

const BLOCK_MS = 1000;

export class FanoutConsumer implements Service {
  readonly name = 'fanout';
  readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wakeReclaim: (() => void) | undefined;

  constructor(
    /** A connection of its own: XREADGROUP BLOCK holds it. */
    private readonly blocking: Redis,
    private readonly redis: Redis,
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

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.eventsStream, FANOUT_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error as Error).message.includes('BUSYGROUP')) throw error;
    }
  }

  private async readLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        const reply = (await this.blocking.xreadgroup(
          'GROUP', FANOUT_GROUP, this.consumer,
          'COUNT', this.options.batchSize,
          'BLOCK', BLOCK_MS,
          'STREAMS', this.keys.eventsStream, '>',
        )) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1];
        if (entries && entries.length > 0) await this.handle(entries);
      } catch (error) {
        await this.recover(error as Error);
      }
    }
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
      } catch (error) {
        await this.recover(error as Error);
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
    const invalid: { id: string; reason: string; fields: string[] }[] = [];
    for (const [id, fields] of entries) {
      const decoded = decodeStreamEntry(id, fields);
      if (!decoded.ok) {
        invalid.push({ id, reason: decoded.reason, fields });
        continue;
      }
      if (!decoded.viaApi) direct.push(decoded.event);
      events.push(decoded.event);
    }
    const duplicates = await this.findDuplicates(direct);
    const accepted = duplicates.size === 0 ? events : events.filter((event) => !duplicates.has(event));
    const jobs: DeliveryJobSpec[] = [];
    for (const event of accepted) {
      for (const webhook of this.webhooks.forTenant(event.tenant)) {
        if (webhook.enabled && matchesAnyPattern(webhook.events, event.type)) jobs.push(deliveryJob(event, webhook));
      }
    }
    if (jobs.length > 0) await this.queue.addBulk(jobs);

    const pipeline = this.redis.pipeline();
    for (const entry of invalid) {
      pipeline.xadd(
        this.keys.invalidEventsStream, 'MAXLEN', '~', this.options.invalidMaxLen ?? 100_000, '*',
        'entryId', entry.id, 'reason', entry.reason, 'fields', JSON.stringify(entry.fields), 'at', new Date().toISOString(),
      );
    }
    pipeline.xack(this.keys.eventsStream, FANOUT_GROUP, ...entries.map(([id]) => id));
    const replies = (await pipeline.exec()) ?? [];
    const failure = replies.find(([error]) => error);
    if (failure) throw failure[0];

    for (const entry of invalid) this.logger.warn({ entryId: entry.id, reason: entry.reason }, 'invalid stream entry');
    if (invalid.length > 0) this.metrics.invalidEntries.inc(invalid.length);
    if (direct.length > duplicates.size) this.metrics.eventsIngested.inc({ source: 'stream' }, direct.length - duplicates.size);
  }

  /**
   * Of events written straight to the stream, those whose idempotency key an earlier entry
   * already used: the first entry with a key wins for its TTL. (The API checks keys before it appends.)
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
