// Circuits as the API shows them, over every partition: each webhook's circuit lives in its
// webhook's partition.
import type { RedisClient } from '../redis-client';
import type { PartitionLayout } from '../partitions/partition-layout';
import { CircuitBreaker, type CircuitStatus } from './circuit-breaker';

export class CircuitStatuses {
  private readonly breakers: CircuitBreaker[];

  constructor(
    redis: RedisClient,
    private readonly layout: PartitionLayout,
  ) {
    this.breakers = layout.all().map((n) => new CircuitBreaker(redis, layout.keys(n)));
  }

  private of(webhookId: string): CircuitBreaker {
    return this.breakers[this.layout.ofWebhook(webhookId)] as CircuitBreaker;
  }

  status(webhookId: string): Promise<CircuitStatus> {
    return this.of(webhookId).status(webhookId);
  }

  /** Each webhook's circuit, read in each partition that holds some of them. */
  async statuses(webhookIds: readonly string[]): Promise<Map<string, CircuitStatus>> {
    const byPartition = new Map<number, string[]>();
    for (const id of webhookIds) {
      const partition = this.layout.ofWebhook(id);
      const ids = byPartition.get(partition);
      if (ids) ids.push(id);
      else byPartition.set(partition, [id]);
    }
    const maps = await Promise.all([...byPartition].map(([partition, ids]) => (this.breakers[partition] as CircuitBreaker).statuses(ids)));
    return new Map(maps.flatMap((map) => [...map]));
  }

  /** Webhooks whose circuit is open or half-open, over every partition. */
  async openCount(): Promise<number> {
    const counts = await Promise.all(this.breakers.map((breaker) => breaker.openCount()));
    return counts.reduce((total, n) => total + n, 0);
  }
}
