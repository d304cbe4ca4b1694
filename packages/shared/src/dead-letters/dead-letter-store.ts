// Dead letters over every partition: each lives in its webhook's partition (dead letter ids are
// `<eventId>.<webhookId>`); listings read every partition and merge, newest first, with cursors
// that hold across partitions (time, then id, is one order over all of them).
import type { RedisClient } from '../redis-client';
import type { DeadLetter } from '../schemas/delivery';
import type { PartitionLayout } from '../partitions/partition-layout';
import { PartitionDeadLetters, type DeadLetterCursor, type DeadLetterFilter, type DeadLetterPage } from './partition-dead-letters';

type Removable = Pick<DeadLetter, 'id' | 'webhookId' | 'tenant'> & { event: { id: string } };

export class DeadLetterStore {
  private readonly partitions: PartitionDeadLetters[];

  constructor(
    redis: RedisClient,
    private readonly layout: PartitionLayout,
  ) {
    this.partitions = layout.all().map((n) => new PartitionDeadLetters(redis, layout.keys(n)));
  }

  /** The partition of a dead letter by its id (`<eventId>.<webhookId>`), or of a webhook. */
  private of(idOrWebhook: { id?: string; webhookId?: string }): PartitionDeadLetters {
    const webhookId = idOrWebhook.webhookId ?? (idOrWebhook.id as string).slice((idOrWebhook.id as string).lastIndexOf('.') + 1);
    return this.partitions[this.layout.ofWebhook(webhookId)] as PartitionDeadLetters;
  }

  /** Whether a dead letter read from this store refers to its event's payload stored apart (see PartitionDeadLetters). */
  refersToPayload(deadLetter: DeadLetter): boolean {
    return this.of(deadLetter).refersToPayload(deadLetter);
  }

  async get(id: string): Promise<DeadLetter | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  /** The dead letters that exist among `ids`, in the order asked. */
  async getMany(ids: readonly string[]): Promise<DeadLetter[]> {
    const found = new Map<string, DeadLetter>();
    await Promise.all(
      [...groupBy(ids, (id) => this.of({ id }))].map(async ([partition, some]) => {
        for (const deadLetter of await partition.getMany(some)) found.set(deadLetter.id, deadLetter);
      }),
    );
    return ids.flatMap((id) => (found.has(id) ? [found.get(id) as DeadLetter] : []));
  }

  /** Newest first, at most `limit` matching `filter`, after `after`: from the webhook's partition, or from all, merged. */
  async list(filter: DeadLetterFilter, limit: number, after?: DeadLetterCursor | null): Promise<DeadLetterPage> {
    if (filter.webhookId) return this.of({ webhookId: filter.webhookId }).list(filter, limit, after);
    if (this.partitions.length === 1) return (this.partitions[0] as PartitionDeadLetters).list(filter, limit, after);
    const pages = await Promise.all(this.partitions.map((partition) => partition.list(filter, limit, after)));
    const merged = pages
      .flatMap((page) => page.data)
      .sort((a, b) => Date.parse(b.deadLetteredAt) - Date.parse(a.deadLetteredAt) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
      .slice(0, limit);
    // More to come when a partition said so, or when what they returned did not all fit.
    const returned = pages.reduce((n, page) => n + page.data.length, 0);
    const last = merged.at(-1);
    const more = pages.some((page) => page.next !== null) || returned > merged.length;
    return { data: merged, next: last && more ? { score: Date.parse(last.deadLetteredAt), id: last.id } : null };
  }

  async count(): Promise<number> {
    const counts = await Promise.all(this.partitions.map((partition) => partition.count()));
    return counts.reduce((total, n) => total + n, 0);
  }

  /** Indexes by webhook and tenant the dead letters of older Herald versions, in every partition. */
  async buildIndexes(): Promise<number> {
    const counts = await Promise.all(this.partitions.map((partition) => partition.buildIndexes()));
    return counts.reduce((total, n) => total + n, 0);
  }

  /** Removes dead letters (purged) from their partitions; returns how many there were. */
  async remove(deadLetters: readonly Removable[]): Promise<number> {
    const counts = await Promise.all([...groupBy(deadLetters, (d) => this.of(d))].map(([partition, some]) => partition.remove(some)));
    return counts.reduce((total, n) => total + n, 0);
  }

  /** Removes replayed dead letters still at the replay count they were replayed from (see PartitionDeadLetters). */
  async removeReplayed(replayed: readonly Pick<DeadLetter, 'id' | 'replays' | 'webhookId' | 'tenant'>[]): Promise<number> {
    const counts = await Promise.all([...groupBy(replayed, (d) => this.of(d))].map(([partition, some]) => partition.removeReplayed(some)));
    return counts.reduce((total, n) => total + n, 0);
  }
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
