// Where each key of an installation lives. One partition (the default on one Redis) keeps every
// key under the plain prefix, as Herald always has. With P partitions (on Redis Cluster) partition
// n's keys carry the hash tag `{<prefix>-pNN}` and the installation-wide ones `{<prefix>}`, so
// that every script touches one slot and the partitions spread over the cluster's masters.
import { redisKeys, type RedisKeys } from '../keys';

export class PartitionLayout {
  /** The installation-wide keys: webhooks and their routes, API tokens, partition leases. */
  readonly global: RedisKeys;
  private readonly partitions: RedisKeys[];

  constructor(
    readonly prefix: string,
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`a layout needs a whole number of partitions ≥ 1 (got ${count})`);
    const globalPrefix = count === 1 ? prefix : `{${prefix}}`;
    this.global = redisKeys(globalPrefix);
    this.partitions = Array.from({ length: count }, (_, n) => redisKeys(count === 1 ? prefix : partitionPrefix(prefix, n, count), globalPrefix));
  }

  get partitioned(): boolean {
    return this.count > 1;
  }

  /** Partition n's keys (the global ones included, under their own tag). */
  keys(partition: number): RedisKeys {
    const keys = this.partitions[partition];
    if (!keys) throw new Error(`no partition ${partition} in a layout of ${this.count}`);
    return keys;
  }

  /** Every partition number, 0 … count − 1. */
  all(): number[] {
    return this.partitions.map((_, n) => n);
  }

  /** The partition that holds everything about a webhook. */
  ofWebhook(webhookId: string): number {
    return this.count === 1 ? 0 : partitionOf(webhookId, this.count);
  }

  /**
   * The partition an event is ingested into: its tenant and idempotency key (else its id), so the
   * idempotency check is one slot; a tenant with FIFO webhooks (`ordered`) has all its events in its
   * own partition, where its FIFO webhooks live, so that their order is the stream's.
   */
  ofIngest(tenant: string, key: string, ordered = false): number {
    if (this.count === 1) return 0;
    return ordered ? this.ofOrderedTenant(tenant) : partitionOf(`${tenant}\u0000${key}`, this.count);
  }

  /** The partition of a tenant with FIFO webhooks: its events, and the FIFO webhooks made for it. */
  ofOrderedTenant(tenant: string): number {
    return this.count === 1 ? 0 : partitionOf(tenant, this.count);
  }
}

/** `{herald-p07}`: the hash tag of partition n, numbered with as many digits as the largest. */
export function partitionPrefix(prefix: string, n: number, count: number): string {
  return `{${prefix}-p${String(n).padStart(Math.max(2, String(count - 1).length), '0')}}`;
}

/** FNV-1a (32 bits) of the string's UTF-16 code units, modulo the count: what places a webhook or an event. */
export function partitionOf(value: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}
