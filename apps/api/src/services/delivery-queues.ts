// The delivery queue of each partition (one BullMQ queue each, its prefix carrying the partition's
// tag), and which one a webhook's deliveries go to.
import type { Queue } from 'bullmq';
import type { PartitionLayout } from '@herald/shared';

export class DeliveryQueues {
  constructor(
    private readonly layout: PartitionLayout,
    /** By partition. */
    readonly all: readonly Queue[],
  ) {}

  /** The queue of the webhook's partition. */
  of(webhookId: string): Queue {
    return this.all[this.layout.ofWebhook(webhookId)] as Queue;
  }

  close(): Promise<unknown> {
    return Promise.all(this.all.map((queue) => queue.close()));
  }
}
