// Makes the jobs of FIFO heads sent out (fifo/ in shared): one job per head, which the queue's
// processor runs like any delivery — a slot, admission, the attempt, retries in place — and whose
// settlement moves the line on. A job lost here (Redis away) is made again by FifoPump's recovery.
import type { Queue } from 'bullmq';
import { DEFAULT_RETRY_POLICY, deliveryJob, type FifoHead, type Logger, type WebhookRoute } from '@herald/shared';
import type { WebhookRegistry } from '../webhooks/webhook-registry';
import type { WebhookDocuments } from '../webhooks/webhook-documents';

export interface FifoDispatcherDeps {
  queue: Queue;
  webhooks: WebhookRegistry;
  documents: WebhookDocuments;
  logger: Logger;
}

export class FifoDispatcher {
  constructor(private readonly deps: FifoDispatcherDeps) {}

  /** Makes the heads' jobs; never throws (what fails is sent again by the recovery). */
  async dispatch(heads: readonly FifoHead[]): Promise<void> {
    if (heads.length === 0) return;
    try {
      // A webhook this worker has not heard of yet (made a moment ago): its routes brought up to date.
      if (heads.some((head) => !this.deps.webhooks.get(head.webhookId))) await this.deps.webhooks.refresh(0);
      const routes = new Map<string, WebhookRoute>();
      for (const head of heads) {
        const route = this.deps.webhooks.get(head.webhookId);
        if (route) routes.set(route.id, route);
      }
      const documents = await this.deps.documents.get(routes.values());
      const jobs = heads.map((head) => {
        // A webhook gone meanwhile: its job is skipped by the processor, and the line moves on.
        const webhook = documents.get(head.webhookId);
        const block = webhook?.ordering?.onExhausted === 'block';
        const fifo = { line: head.line, member: head.member, n: head.n, ...(block ? { block } : {}) };
        return deliveryJob({ id: head.eventId }, webhook ?? { id: head.webhookId, retry: DEFAULT_RETRY_POLICY }, { replay: head.replay, fifo });
      });
      await this.deps.queue.addBulk(jobs);
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message, heads: heads.length }, 'could not queue FIFO heads; they are sent again shortly');
    }
  }
}
