// The worker's in-memory copy of the webhooks, brought up to date whenever their version counter
// moves: only the webhooks changed since, or all of them when that cannot be told.
import { oldestWebhookFirst, type Webhook, type WebhookChanges, type WebhookSnapshot, type WebhookStore } from '@herald/shared';

/**
 * However the changes read, every webhook is loaded again this often: a safety net for what the
 * changes log cannot show (writes Redis lost in a failover, a document edited by hand).
 */
const FULL_RELOAD_EVERY_MS = 5 * 60_000;

export class WebhookCache {
  private version: string | undefined;
  private byId = new Map<string, Webhook>();
  private byTenant = new Map<string, Webhook[]>();
  private checkedAt = 0;
  /** The reload in flight, and the count of reloads begun (this one included). */
  private refreshing: Promise<void> | undefined;
  private reloadsBegun = 0;
  /** Times every webhook was loaded (the first load included); for tests and debugging. */
  fullReloads = 0;
  private loadedAllAt = 0;

  constructor(
    private readonly store: WebhookStore,
    private readonly fullReloadEveryMs: number = FULL_RELOAD_EVERY_MS,
  ) {}

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

  /**
   * Brings the copy up to `version`, read after what the caller is about to act on (a batch of
   * stream entries): nothing to do when the copy is at that version already (and no full reload is
   * due), else a refresh.
   */
  async syncTo(version: string): Promise<void> {
    const now = Date.now();
    if (this.version === version && now - this.loadedAllAt < this.fullReloadEveryMs) {
      this.checkedAt = now;
      return;
    }
    await this.refresh(0);
  }

  get(id: string): Webhook | undefined {
    return this.byId.get(id);
  }

  /** A tenant's webhooks (enabled or not), oldest first. */
  forTenant(tenant: string): readonly Webhook[] {
    return this.byTenant.get(tenant) ?? [];
  }

  /**
   * Reads the version; when it moved, applies only the webhooks changed since the version held, or
   * loads them all when the changes cannot tell (first load, too far behind) or the last full load
   * is FULL_RELOAD_EVERY_MS old.
   */
  private async reload(): Promise<void> {
    const checkedAt = Date.now();
    if (this.version === undefined || checkedAt - this.loadedAllAt >= this.fullReloadEveryMs) {
      this.replaceAll(await this.store.snapshot(), checkedAt);
    } else {
      const version = await this.store.version();
      if (version !== this.version) {
        const changes = await this.store.changesSince(this.version);
        if (changes) this.apply(changes);
        else this.replaceAll(await this.store.snapshot(), checkedAt);
      }
    }
    this.checkedAt = checkedAt;
  }

  private replaceAll(snapshot: WebhookSnapshot, at: number): void {
    this.loadedAllAt = at;
    this.byId = new Map(snapshot.webhooks.map((webhook) => [webhook.id, webhook]));
    this.byTenant = new Map();
    for (const webhook of snapshot.webhooks) {
      const list = this.byTenant.get(webhook.tenant) ?? [];
      list.push(webhook);
      this.byTenant.set(webhook.tenant, list);
    }
    this.version = snapshot.version;
    this.fullReloads += 1;
  }

  private apply(changes: WebhookChanges): void {
    const tenants = new Set<string>();
    for (const [id, webhook] of changes.changed) {
      const before = this.byId.get(id);
      if (before) tenants.add(before.tenant);
      if (webhook) {
        this.byId.set(id, webhook);
        tenants.add(webhook.tenant);
      } else this.byId.delete(id);
    }
    // Each affected tenant's list: without the changed webhooks, then with those now in it.
    for (const tenant of tenants) {
      const list = (this.byTenant.get(tenant) ?? []).filter((webhook) => !changes.changed.has(webhook.id));
      for (const webhook of changes.changed.values()) if (webhook?.tenant === tenant) list.push(webhook);
      list.sort(oldestWebhookFirst);
      if (list.length > 0) this.byTenant.set(tenant, list);
      else this.byTenant.delete(tenant);
    }
    this.version = changes.version;
  }
}
