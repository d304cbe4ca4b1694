// The worker's in-memory copy of the webhooks, reloaded whenever their version counter moves.
import { type Webhook, type WebhookStore } from '@herald/shared';

export class WebhookCache {
  private version: string | undefined;
  private byId = new Map<string, Webhook>();
  private byTenant = new Map<string, Webhook[]>();
  private checkedAt = 0;
  /** The reload in flight, and the count of reloads begun (this one included). */
  private refreshing: Promise<void> | undefined;
  private reloadsBegun = 0;

  constructor(private readonly store: WebhookStore) {}

  /**
   * Reloads if the stored version changed; checks at most once per `maxStalenessMs`. With 0, the
   * version is read by a command sent after this call: a reload already in flight may have read it
   * before what the caller just saw (an event naming a new webhook), so it is not enough alone.
   */
  async refresh(maxStalenessMs: number): Promise<void> {
    if (this.version !== undefined && Date.now() - this.checkedAt < maxStalenessMs) return;
    if (maxStalenessMs > 0 && this.refreshing) return this.refreshing;
    const needed = this.reloadsBegun + 1;
    while (this.reloadsBegun < needed) {
      if (this.refreshing) {
        await this.refreshing;
        continue;
      }
      this.reloadsBegun += 1;
      this.refreshing = this.reload().finally(() => {
        this.refreshing = undefined;
      });
    }
    // Only the in-flight reload can be the one begun for this caller, or a later one.
    await this.refreshing;
  }

  get(id: string): Webhook | undefined {
    return this.byId.get(id);
  }

  /** A tenant's webhooks (enabled or not), oldest first. */
  forTenant(tenant: string): readonly Webhook[] {
    return this.byTenant.get(tenant) ?? [];
  }

  private async reload(): Promise<void> {
    const checkedAt = Date.now();
    const version = await this.store.version();
    if (version !== this.version) {
      const snapshot = await this.store.snapshot();
      this.byId = new Map(snapshot.webhooks.map((webhook) => [webhook.id, webhook]));
      this.byTenant = new Map();
      for (const webhook of snapshot.webhooks) {
        const list = this.byTenant.get(webhook.tenant) ?? [];
        list.push(webhook);
        this.byTenant.set(webhook.tenant, list);
      }
      this.version = snapshot.version;
    }
    this.checkedAt = checkedAt;
  }
}
