// Turns dead letters back into deliveries: fresh attempts, the same delivery id and webhook-id.
import type { Queue } from 'bullmq';
import {
  deliveryJob,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterStore,
  type WebhookStore,
} from '@herald/shared';

export interface ReplayResult {
  replayed: string[];
  skipped: { id: string; reason: string }[];
}

const CHUNK = 500;

export class DeadLetterReplay {
  constructor(
    private readonly deadLetters: DeadLetterStore,
    private readonly webhooks: WebhookStore,
    private readonly queue: Queue,
  ) {}

  /** Replays the given dead letters; ids that do not exist or `canSee` refuses are skipped as not found. */
  async replayIds(ids: readonly string[], canSee: (deadLetter: DeadLetter) => boolean = () => true): Promise<ReplayResult> {
    const found = (await this.deadLetters.getMany(ids)).filter(canSee);
    const foundIds = new Set(found.map((d) => d.id));
    const result = await this.replay(found);
    for (const id of ids) if (!foundIds.has(id)) result.skipped.push({ id, reason: 'not found' });
    return result;
  }

  /** Replays everything matching `filter`, oldest pages last, `limit` at most, in chunks. */
  async replayMatching(filter: DeadLetterFilter, limit: number): Promise<ReplayResult> {
    const total: ReplayResult = { replayed: [], skipped: [] };
    const skippedIds = new Set<string>();
    let beforeMs = filter.beforeMs;
    while (total.replayed.length < limit) {
      const page = await this.deadLetters.list({ ...filter, beforeMs }, Math.min(CHUNK, limit - total.replayed.length));
      const fresh = page.filter((d) => !skippedIds.has(d.id));
      if (fresh.length === 0) break;
      const { replayed, skipped } = await this.replay(fresh);
      total.replayed.push(...replayed);
      total.skipped.push(...skipped);
      for (const s of skipped) skippedIds.add(s.id);
      // Replayed ones are gone from the set; continue below the oldest skipped one if any remain.
      const oldestSkipped = page.filter((d) => skippedIds.has(d.id)).at(-1);
      if (oldestSkipped) beforeMs = Date.parse(oldestSkipped.deadLetteredAt);
    }
    return total;
  }

  private async replay(deadLetters: readonly DeadLetter[]): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: [], skipped: [] };
    const webhooksById = new Map((await this.webhooks.list()).map((w) => [w.id, w]));
    for (let start = 0; start < deadLetters.length; start += CHUNK) {
      const chunk = deadLetters.slice(start, start + CHUNK);
      const jobs = [];
      const ids: string[] = [];
      for (const deadLetter of chunk) {
        const webhook = webhooksById.get(deadLetter.webhookId);
        if (!webhook) {
          result.skipped.push({ id: deadLetter.id, reason: 'webhook deleted' });
          continue;
        }
        jobs.push(deliveryJob(deadLetter.event, webhook, deadLetter.replays + 1));
        ids.push(deadLetter.id);
      }
      // Enqueue first, then remove: a crash in between leaves a dead letter the worker clears on success.
      await this.queue.addBulk(jobs);
      await this.deadLetters.remove(ids);
      result.replayed.push(...ids);
    }
    return result;
  }
}
