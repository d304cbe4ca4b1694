// Whole webhook documents, read when a delivery needs one and kept for the webhooks delivered to
// most recently: a document is read again when its route shows a newer change, and after a while in
// any case (a document edited by hand in Redis shows no change).
import type { Logger, Webhook, WebhookRoute, WebhookStore } from '@herald/shared';

interface Kept {
  revision: number;
  webhook: Webhook;
  readAt: number;
}

export interface WebhookDocumentsOptions {
  /** Documents kept at most (the least recently used go first). */
  size: number;
  /** How long a document is used before it is read again, however quiet its webhook, in ms. */
  maxAgeMs: number;
}

export class WebhookDocuments {
  /** In order of use: the least recently used first. */
  private readonly kept = new Map<string, Kept>();
  /** Documents read from Redis; for tests and debugging. */
  reads = 0;

  constructor(
    private readonly store: WebhookStore,
    private readonly logger: Logger,
    private readonly options: WebhookDocumentsOptions,
  ) {}

  /**
   * The documents of these routes, as of their revision or later, by id; one round trip for those
   * not kept. A webhook deleted meanwhile, or whose document does not read as a webhook, is left out.
   */
  async get(routes: Iterable<WebhookRoute>, now: number = Date.now()): Promise<Map<string, Webhook>> {
    const found = new Map<string, Webhook>();
    const missing = new Map<string, WebhookRoute>();
    for (const route of routes) {
      const kept = this.kept.get(route.id);
      if (kept && kept.revision >= route.revision && now - kept.readAt < this.options.maxAgeMs) {
        // Used again: to the back of the line.
        this.kept.delete(route.id);
        this.kept.set(route.id, kept);
        found.set(route.id, kept.webhook);
      } else missing.set(route.id, route);
    }
    if (missing.size === 0) return found;
    const read = await this.store.readMany([...missing.keys()]);
    this.reads += missing.size;
    for (const [id, route] of missing) {
      const webhook = read.get(id);
      if (webhook === undefined) continue;
      if (webhook === null) {
        this.logger.warn({ webhookId: id }, 'stored webhook does not parse; skipped');
        continue;
      }
      found.set(id, webhook);
      this.keep(id, { revision: route.revision, webhook, readAt: now });
    }
    return found;
  }

  private keep(id: string, kept: Kept): void {
    this.kept.delete(id);
    this.kept.set(id, kept);
    while (this.kept.size > this.options.size) {
      const oldest = this.kept.keys().next().value as string;
      this.kept.delete(oldest);
    }
  }
}
