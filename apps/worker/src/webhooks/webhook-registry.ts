// The worker's copy of the webhooks' routes — what fan-out needs of each webhook, not its document —
// indexed per tenant by event type, brought up to date whenever the version counter moves (only
// the webhooks changed since are read), and checked against the tenants' digests in Redis now and
// then (only the tenants that differ are read again).
import {
  isOperationalEventType,
  tenantDigest,
  type Logger,
  type StoredEvent,
  type WebhookChanges,
  type WebhookRoute,
  type WebhookStore,
} from '@herald/shared';
import type { Service } from '../service';
import { TenantIndex } from './tenant-index';

/** One tenant's routes, their index and their digest, kept as the routes come and go. */
class Tenant {
  readonly routes = new Map<string, WebhookRoute>();
  readonly index = new TenantIndex();
  private xor = 0;

  put(route: WebhookRoute): void {
    this.drop(route.id);
    this.routes.set(route.id, route);
    this.xor ^= route.hash;
    if (route.enabled) this.index.add(route.id, route.events);
  }

  drop(id: string): void {
    const route = this.routes.get(id);
    if (!route) return;
    this.routes.delete(id);
    this.xor ^= route.hash;
    if (route.enabled) this.index.remove(id, route.events);
  }

  get digest(): string {
    return tenantDigest(this.routes.size, this.xor);
  }
}

export interface WebhookRegistryOptions {
  /** Changes read at once at most; more, and every route is read again. @defaultValue 1000 */
  maxChanges?: number;
  /** How often the tenants' digests are compared with Redis's, in ms. @defaultValue DIGEST_CHECK_EVERY_MS */
  digestCheckEveryMs?: number;
}

/** How often a worker compares its tenants' digests with Redis's: the safety net is cheap (one read of every tenant's digest). */
const DIGEST_CHECK_EVERY_MS = 60_000;

export class WebhookRegistry implements Service {
  readonly name = 'webhook-registry';
  private timer: NodeJS.Timeout | undefined;
  private version: string | undefined;
  private readonly tenants = new Map<string, Tenant>();
  private readonly byId = new Map<string, WebhookRoute>();
  /**
   * One copy of each tenant name and event pattern, however many routes name it: most webhooks
   * share a few patterns, and each route parsed brings its own copy of the text.
   */
  private readonly strings = new Map<string, string>();
  private checkedAt = 0;
  /** The reload in flight, and the count of reloads begun (this one included). */
  private refreshing: Promise<void> | undefined;
  private reloadsBegun = 0;
  /** Times every route was read (the first load included); for tests and debugging. */
  fullLoads = 0;
  /** Tenants read again because their digest differed; for tests and debugging. */
  tenantReloads = 0;

  constructor(
    private readonly store: WebhookStore,
    private readonly logger: Logger,
    private readonly options: WebhookRegistryOptions = {},
  ) {}

  /** Reads every route before the fan-out starts, then compares digests now and then. */
  async start(): Promise<void> {
    await this.refresh(0);
    this.timer = setInterval(() => {
      this.checkDigests().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not compare webhook digests'));
    }, this.options.digestCheckEveryMs ?? DIGEST_CHECK_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

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
   * stream entries): nothing to do when the copy is at that version already, else a refresh.
   */
  async syncTo(version: string): Promise<void> {
    if (this.version === version) {
      this.checkedAt = Date.now();
      return;
    }
    await this.refresh(0);
  }

  /** The route of a webhook (enabled or not), if it exists. */
  get(id: string): WebhookRoute | undefined {
    return this.byId.get(id);
  }

  /**
   * The enabled webhooks `event` goes to: subscribed to its type, and, for one of Herald's own
   * events, not the webhook it is about (a failing endpoint must not feed itself its own alarms).
   */
  match(event: StoredEvent): WebhookRoute[] {
    const tenant = this.tenants.get(event.tenant);
    if (!tenant) return [];
    const operational = isOperationalEventType(event.type);
    const routes: WebhookRoute[] = [];
    for (const id of tenant.index.match(event.type, operational)) {
      if (operational && event.data.webhookId === id) continue;
      const route = tenant.routes.get(id);
      if (route) routes.push(route);
    }
    return routes;
  }

  /** How many webhooks the copy holds. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Compares each tenant's digest with the one Redis keeps, and reads again the routes of those
   * that differ: a safety net for what the change log cannot show (writes Redis lost in a failover
   * while this worker had read them, a webhook written by an API that keeps no routes). Costs one
   * read of every tenant's digest, not of every webhook. When some differ, the routes are first
   * made again from the documents (every document read): the documents are what is true.
   */
  async checkDigests(): Promise<void> {
    const { version, digests } = await this.store.tenantDigests();
    await this.refresh(0);
    // Compared at one version only: changes made meanwhile would make any digest differ.
    if (this.version !== version) return;
    const differing = [...new Set([...digests.keys(), ...this.tenants.keys()])].filter(
      (tenant) => (this.tenants.get(tenant)?.digest ?? '0:0') !== (digests.get(tenant) ?? '0:0'),
    );
    if (differing.length === 0) return;
    this.logger.warn({ tenants: differing.length }, 'webhook routes differed from Redis; making them again from the documents');
    await this.store.rebuildRoutes();
    const routes = await this.store.routesOf(differing, this.intern);
    for (const tenant of differing) this.replaceTenant(tenant, routes.get(tenant) ?? []);
    this.tenantReloads += differing.length;
    // What changed while they were read is applied again, as it is now.
    await this.catchUp(version);
  }

  /**
   * Reads the version; when it moved, applies only the webhooks changed since the version held, or
   * reads every route when the changes cannot tell.
   */
  private async reload(): Promise<void> {
    const checkedAt = Date.now();
    if (this.version === undefined) await this.loadAll({ rebuild: false });
    else await this.catchUp(this.version);
    this.checkedAt = checkedAt;
  }

  /** Applies what changed since `version`, or reads everything when the changes cannot say. */
  private async catchUp(version: string): Promise<void> {
    const changes = await this.store.changesSince(version, this.options.maxChanges, this.intern);
    if (typeof changes === 'object') this.apply(changes);
    else await this.loadAll({ rebuild: changes === 'rebuild' });
  }

  /**
   * Every route, read tenant by tenant, then what changed while they were read. Routes are made
   * from the documents first when `rebuild` says so, or when there are fewer routes than documents
   * (webhooks written before routes existed, or by a writer that keeps none).
   */
  private async loadAll({ rebuild }: { rebuild: boolean }): Promise<void> {
    if (rebuild || !(await this.store.routesComplete())) {
      const rebuilt = await this.store.rebuildRoutes();
      if (rebuilt > 0) this.logger.info({ rebuilt }, 'webhook routes made from their documents');
    }
    const snapshot = await this.store.routeSnapshot(this.intern);
    this.tenants.clear();
    this.byId.clear();
    for (const [tenant, routes] of snapshot.routes) this.replaceTenant(tenant, routes);
    this.version = snapshot.version;
    this.fullLoads += 1;
    const changes = await this.store.changesSince(snapshot.version, this.options.maxChanges, this.intern);
    // Too much changed again meanwhile: the next refresh reads everything once more.
    if (typeof changes === 'object') this.apply(changes);
    else this.version = undefined;
  }

  private replaceTenant(name: string, routes: readonly WebhookRoute[]): void {
    const before = this.tenants.get(name);
    for (const id of before?.routes.keys() ?? []) this.byId.delete(id);
    const tenant = new Tenant();
    for (const route of routes) {
      tenant.put(route);
      this.byId.set(route.id, route);
    }
    if (tenant.routes.size > 0) this.tenants.set(name, tenant);
    else this.tenants.delete(name);
  }

  /** The one shared copy of a tenant's name or an event pattern. */
  private readonly intern = (text: string): string => {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  };

  private apply(changes: WebhookChanges): void {
    for (const [id, route] of changes.changed) {
      const before = this.byId.get(id);
      if (before) {
        this.tenants.get(before.tenant)?.drop(id);
        this.byId.delete(id);
        if (this.tenants.get(before.tenant)?.routes.size === 0) this.tenants.delete(before.tenant);
      }
      if (!route) continue;
      let tenant = this.tenants.get(route.tenant);
      if (!tenant) {
        tenant = new Tenant();
        this.tenants.set(route.tenant, tenant);
      }
      tenant.put(route);
      this.byId.set(id, route);
    }
    this.version = changes.version;
  }
}
