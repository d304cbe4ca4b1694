// Where new webhooks go: with partitions, each into the next partition in turn (a counter in the
// global keys), by drawing ids until one hashes there, so that webhooks spread evenly over the
// partitions however their ids would fall, and so over the masters.
import { newWebhookId } from '../ids';
import type { RedisClient } from '../redis-client';
import type { PartitionLayout } from './partition-layout';

/** What placing a new webhook looks at. */
export interface NewWebhook {
  tenant: string;
  ordering?: unknown;
}

/**
 * A function making new webhook ids, placed in turn over the layout's partitions (plain ids with one
 * partition); a webhook made with `ordering` goes to its tenant's ordered partition instead, where
 * its tenant's events are then ingested (PartitionLayout.ofIngest), so that no hop between
 * partitions can reorder them.
 */
export function placedWebhookIds(redis: RedisClient, layout: PartitionLayout): (nowMs: number, webhook?: NewWebhook) => Promise<string> {
  if (!layout.partitioned) return (nowMs) => Promise.resolve(newWebhookId(nowMs));
  return async (nowMs, webhook) => {
    const partition = webhook?.ordering ? layout.ofOrderedTenant(webhook.tenant) : (await redis.incr(layout.global.webhookPlacement)) % layout.count;
    // About P draws: each id hashes to any partition alike.
    for (;;) {
      const id = newWebhookId(nowMs);
      if (layout.ofWebhook(id) === partition) return id;
    }
  };
}
