// Turns dead letters back into deliveries: fresh attempts, the same delivery id and webhook-id.
import type { Queue } from 'bullmq';
import {
  deliveryJob,
  fifoLineOf,
  type FifoLines,
  type DeadLetter,
  type DeadLetterCursor,
  type DeadLetterFilter,
  type DeadLetterStore,
  type WebhookStore,
} from '@herald/shared';
import type { ReplayResult } from '../schemas/responses';
import type { DeliveryQueues } from './delivery-queues';

const CHUNK = 500;

export class DeadLetterReplay {
  constructor(
    private readonly deadLetters: DeadLetterStore,
    private readonly webhooks: WebhookStore,
    private readonly queues: DeliveryQueues,
    /** The FIFO lines of a webhook's partition. */
    private readonly fifo: (webhookId: string) => FifoLines,
  ) {}

  /** Replays the given dead letters; ids that do not exist or `canSee` refuses are skipped as not found. */
  async replayIds(ids: readonly string[], canSee: (deadLetter: DeadLetter) => boolean = () => true): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: [], skipped: [] };
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += CHUNK) {
      const chunkIds = unique.slice(start, start + CHUNK);
      const found = (await this.deadLetters.getMany(chunkIds)).filter(canSee);
      const foundIds = new Set(found.map((d) => d.id));
      merge(result, await this.replay(found));
      for (const id of chunkIds) if (!foundIds.has(id)) result.skipped.push({ id, reason: 'not found' });
    }
    return result;
  }

  /**
   * Replays up to `limit` dead letters matching `filter`, newest first, in chunks. Only those
   * dead-lettered before the call started count, so a replay that fails again is not replayed twice.
   */
  async replayMatching(filter: DeadLetterFilter, limit: number, nowMs: number = Date.now()): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: [], skipped: [] };
    const pinned: DeadLetterFilter = { ...filter, beforeMs: Math.min(filter.beforeMs ?? Infinity, nowMs + 1) };
    let cursor: DeadLetterCursor | null = null;
    while (result.replayed.length + result.skipped.length < limit) {
      const page = await this.deadLetters.list(pinned, Math.min(CHUNK, limit - result.replayed.length - result.skipped.length), cursor);
      merge(result, await this.replay(page.data));
      if (!page.next) break;
      cursor = page.next;
    }
    return result;
  }

  private async replay(deadLetters: readonly DeadLetter[]): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: [], skipped: [] };
    if (deadLetters.length === 0) return result;
    const webhooks = await this.webhooks.getMany(deadLetters.map((d) => d.webhookId));
    const jobs = new Map<Queue, ReturnType<typeof deliveryJob>[]>();
    const replayed: DeadLetter[] = [];
    for (const deadLetter of deadLetters) {
      const webhook = webhooks.get(deadLetter.webhookId);
      // A replay to a webhook that cannot receive would be skipped by the worker: keep the dead letter.
      const reason = !webhook ? 'webhook deleted' : !webhook.enabled ? 'webhook disabled' : undefined;
      if (reason || !webhook) {
        result.skipped.push({ id: deadLetter.id, reason: reason ?? 'webhook deleted' });
        continue;
      }
      // A FIFO webhook's delivery joins its line (in place of its line's blocked head when it is that
      // head, else at the tail), taking over the dead letter's reference to the payload.
      if (webhook.ordering) {
        const line = fifoLineOf(webhook.ordering, deadLetter.event);
        const held = this.deadLetters.refersToPayload(deadLetter);
        const place = await this.fifo(webhook.id).replay(webhook.id, line, deadLetter.event, deadLetter.replays + 1, held);
        if (place) replayed.push(deadLetter);
        else result.skipped.push({ id: deadLetter.id, reason: 'already waiting in its FIFO line' });
        continue;
      }
      // The job takes over the dead letter's reference to the payload; one from an older Herald, with no
      // payload stored apart, carries its event.
      // Each goes to its webhook's partition's queue.
      const queue = this.queues.of(webhook.id);
      const job = deliveryJob(deadLetter.event, webhook, { replay: deadLetter.replays + 1, inline: !this.deadLetters.refersToPayload(deadLetter) });
      const list = jobs.get(queue);
      if (list) list.push(job);
      else jobs.set(queue, [job]);
      replayed.push(deadLetter);
    }
    // Enqueue, then remove only the dead letters not re-parked meanwhile by a replay that already
    // failed: their references to the payloads pass to the jobs.
    await Promise.all([...jobs].map(([queue, some]) => queue.addBulk(some)));
    await this.deadLetters.removeReplayed(replayed);
    result.replayed.push(...replayed.map((d) => d.id));
    return result;
  }
}

function merge(into: ReplayResult, from: ReplayResult): void {
  into.replayed.push(...from.replayed);
  into.skipped.push(...from.skipped);
}
