import type { RedisClient } from '../redis-client';
import type { z } from 'zod';
import { FifoLines } from '../fifo/fifo-lines';
import { newWebhookId } from '../ids';
import type { RedisKeys } from '../keys';
import { join } from 'node:path';
import { LuaScript } from '../lua/lua-script';
import { CircuitBreaker } from '../circuit/circuit-breaker';
import { execOrThrow } from '../redis';
import { generateSigningSecret } from '../signing/secret';
import { InvalidWebhookError } from '../errors/invalid-webhook-error';
import { webhookCreateSchema, webhookSchema, type webhookUpdateSchema, type Webhook } from '../schemas/webhook';
import { safeJson } from './safe-json';
import { plainMessages } from '../schemas/common';
import { parseRoute, type WebhookRoute } from './webhook-routes';
import { PLAIN_SECRETS, type SecretBox } from '../crypto/secret-box';
import { openWebhook, sealWebhook, webhookSealedCurrently } from './webhook-secrets';

export interface WebhookSnapshot {
  version: string;
  webhooks: Webhook[];
  /** Ids whose stored document does not parse (skipped, so one bad record cannot stop fan-out). */
  unreadable: string[];
}

/** What changed since a version: each changed webhook's route, or null for one deleted (or unreadable). */
export interface WebhookChanges {
  version: string;
  changed: Map<string, WebhookRoute | null>;
}

/** Every webhook's route, by tenant, and the version they are at at least (changes since then may show too). */
export interface RouteSnapshot {
  version: string;
  routes: Map<string, WebhookRoute[]>;
}

/** The order webhooks are listed and fanned out in: oldest first, ties by id. */
export function oldestWebhookFirst(a: Webhook, b: Webhook): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

const WRITE_WEBHOOK = new LuaScript(join(__dirname, '..', 'lua', 'write-webhook-6.lua'));
const WEBHOOK_CHANGES = new LuaScript(join(__dirname, '..', 'lua', 'webhook-changes-4.lua'));
const READ_WEBHOOKS = new LuaScript(join(__dirname, '..', 'lua', 'read-webhooks-2.lua'));
const READ_TENANT_DIGESTS = new LuaScript(join(__dirname, '..', 'lua', 'read-tenant-digests-2.lua'));
const INDEX_ROUTES = new LuaScript(join(__dirname, '..', 'lua', 'index-webhook-routes-n.lua'));

type WriteMode = 'create' | 'replace' | 'delete';

/** write-webhook-6.lua's arguments, by name. */
function writeArgs(write: { id: string; mode: WriteMode; readJson: string; json: string; changesKept: number; tenant: string }): (string | number)[] {
  return [write.id, write.mode, write.readJson, write.json, write.changesKept, write.tenant];
}

/** Tenants whose routes one pipeline reads, and documents one route rebuild call looks at. */
const ROUTE_BATCH = 500;

/**
 * A patched webhook's settings pass every check a new webhook's do (a preset's variables, an auth
 * type's credential); a field cleared with null that has a default gets it. Throws
 * InvalidWebhookError naming the fields otherwise.
 */
function checkedAsNew(merged: Record<string, unknown>): Record<string, unknown> {
  const { id, secret, previousSecrets, createdAt, updatedAt, ...settings } = merged;
  const result = webhookCreateSchema.safeParse(settings, { error: plainMessages });
  if (!result.success) throw new InvalidWebhookError(result.error);
  return { ...result.data, id, secret, previousSecrets, createdAt, updatedAt };
}

/** How often `update` re-reads and retries when another writer changed the webhook meanwhile. */
const UPDATE_ATTEMPTS = 10;
/** Changes remembered for readers catching up; one further behind reloads every webhook. */
const CHANGES_KEPT = 10_000;

/**
 * Webhooks in Redis: one hash of JSON documents, a version counter bumped on each change, and which
 * webhook each recent version changed, and each webhook's route by tenant with a digest per tenant
 * (every write goes through lua/write-webhook-6.lua).
 */
export interface WebhookStoreOptions {
  /**
   * Changes remembered for readers catching up.
   * @defaultValue 10,000
   */
  changesKept?: number;
  /**
   * Seals every secret of a document before it is written and opens it after it is read
   * (HERALD_ENCRYPTION_KEY).
   * @defaultValue secrets stored as they are
   */
  secrets?: SecretBox;
  /**
   * The keys of a webhook's partition (its circuit, rate bucket, attempt log, counters).
   * @defaultValue the store's own keys (one partition)
   */
  keysOfWebhook?: (webhookId: string) => RedisKeys;
  /**
   * Makes a new webhook's id (with partitions: one in the next partition round, so that webhooks
   * spread evenly over them, see partitions/webhook-placement.ts).
   * @defaultValue newWebhookId
   */
  newId?: (nowMs: number, webhook: { tenant: string; ordering?: unknown }) => Promise<string>;
}

export class WebhookStore {
  private readonly changesKept: number;
  private readonly secrets: SecretBox;
  private readonly keysOfWebhook: (webhookId: string) => RedisKeys;
  private readonly newId: (nowMs: number, webhook: { tenant: string; ordering?: unknown }) => Promise<string>;

  constructor(
    private readonly redis: RedisClient,
    /** The installation-wide keys: documents, routes, the change log. */
    private readonly keys: RedisKeys,
    options: WebhookStoreOptions = {},
  ) {
    this.changesKept = options.changesKept ?? CHANGES_KEPT;
    this.secrets = options.secrets ?? PLAIN_SECRETS;
    this.keysOfWebhook = options.keysOfWebhook ?? (() => keys);
    this.newId = options.newId ?? ((nowMs) => Promise.resolve(newWebhookId(nowMs)));
  }

  /** The circuit breaker of the webhook's partition. */
  private circuits(webhookId: string): CircuitBreaker {
    return new CircuitBreaker(this.redis, this.keysOfWebhook(webhookId));
  }

  /** A stored document as a webhook: secrets opened, then parsed (throws when it does not parse). */
  private parse(json: string): Webhook {
    return webhookSchema.parse(openWebhook(JSON.parse(json), this.secrets));
  }

  /** A stored document as a webhook, or null when it does not read as one (or its secrets do not open). */
  private tryParse(json: string): Webhook | null {
    try {
      const result = webhookSchema.safeParse(openWebhook(safeJson(json), this.secrets));
      return result.success ? result.data : null;
    } catch {
      return null;
    }
  }

  /** A webhook as it is stored: JSON with every secret sealed. */
  private serialize(webhook: Webhook): string {
    return JSON.stringify(sealWebhook(webhook, this.secrets));
  }

  async create(input: z.output<typeof webhookCreateSchema>, nowMs: number = Date.now()): Promise<Webhook> {
    const now = new Date(nowMs).toISOString();
    const webhook: Webhook = webhookSchema.parse({
      ...input,
      id: await this.newId(nowMs, input),
      secret: generateSigningSecret(),
      previousSecrets: [],
      createdAt: now,
      updatedAt: now,
    });
    await this.switchOrderingOn(webhook);
    await this.write({ id: webhook.id, tenant: webhook.tenant }, 'create', '', this.serialize(webhook));
    return webhook;
  }

  async get(id: string): Promise<Webhook | null> {
    const json = await this.redis.hget(this.keys.webhooks, id);
    return json ? this.parse(json) : null;
  }

  /** The webhooks that exist among `ids`, by id. */
  async getMany(ids: readonly string[]): Promise<Map<string, Webhook>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const jsons = await this.redis.hmget(this.keys.webhooks, ...unique);
    const found = new Map<string, Webhook>();
    jsons.forEach((json, index) => {
      if (json) found.set(unique[index] as string, this.parse(json));
    });
    return found;
  }

  /** The documents of `ids` by id: null for one that does not read as a webhook; absent when there is none. */
  async readMany(ids: readonly string[]): Promise<Map<string, Webhook | null>> {
    const unique = [...new Set(ids)];
    const found = new Map<string, Webhook | null>();
    if (unique.length === 0) return found;
    const jsons = await this.redis.hmget(this.keys.webhooks, ...unique);
    jsons.forEach((json, index) => {
      if (json === null) return;
      found.set(unique[index] as string, this.tryParse(json));
    });
    return found;
  }

  /** Every webhook, or a tenant's, oldest first. */
  async list(tenant?: string): Promise<Webhook[]> {
    const { webhooks } = await this.snapshot();
    return webhooks.filter((webhook) => tenant === undefined || webhook.tenant === tenant);
  }

  /** All webhooks and the version they are at, read atomically. */
  async snapshot(): Promise<WebhookSnapshot> {
    const [version, flat] = (await READ_WEBHOOKS.run(this.redis, [this.keys.webhooksVersion, this.keys.webhooks], [])) as [string, string[]];
    const webhooks: Webhook[] = [];
    const unreadable: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const id = flat[i] as string;
      const webhook = this.tryParse(flat[i + 1] as string);
      if (webhook) webhooks.push(webhook);
      else unreadable.push(id);
    }
    webhooks.sort(oldestWebhookFirst);
    return { version: String(version), webhooks, unreadable };
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.keys.webhooksVersion)) ?? '0';
  }

  /**
   * The routes of the webhooks changed since `version`, read atomically with the current version;
   * or, when they cannot be listed, what to do instead: 'reload' every route (more than `max`
   * changed), or 'rebuild' the routes from the documents first (the changes cannot tell what
   * happened: too far behind, Redis reset, or a writer that keeps no changes nor routes).
   */
  async changesSince(version: string, max = 1000, intern?: (text: string) => string): Promise<WebhookChanges | 'reload' | 'rebuild'> {
    const reply = (await WEBHOOK_CHANGES.run(this.redis, this.changeKeys(), [version, max])) as (string | number | null)[];
    if (reply[1] !== 'delta') return reply[2] === 'many' ? 'reload' : 'rebuild';
    const changed = new Map<string, WebhookRoute | null>();
    for (let i = 2; i + 2 < reply.length; i += 3) {
      const [id, tenant, route] = [String(reply[i]), reply[i + 1], reply[i + 2]];
      changed.set(id, typeof tenant === 'string' && typeof route === 'string' ? parseRoute(id, tenant, route, intern) : null);
    }
    return { version: String(reply[0]), changed };
  }

  /**
   * Every route, by tenant, without reading a document: the version first, then each tenant's
   * routes (a few hundred tenants a round trip). Changes made while this reads may or may not show;
   * apply `changesSince(version)` after it.
   */
  async routeSnapshot(intern?: (text: string) => string): Promise<RouteSnapshot> {
    const { version, digests } = await this.tenantDigests();
    return { version, routes: await this.routesOf([...digests.keys()], intern) };
  }

  /** The routes of these tenants' webhooks (`intern`: as for parseRoute). */
  async routesOf(tenants: readonly string[], intern?: (text: string) => string): Promise<Map<string, WebhookRoute[]>> {
    const routes = new Map<string, WebhookRoute[]>();
    for (let i = 0; i < tenants.length; i += ROUTE_BATCH) {
      const batch = tenants.slice(i, i + ROUTE_BATCH);
      const pipeline = this.redis.pipeline();
      for (const tenant of batch) pipeline.hgetall(this.keys.webhookRoutes(tenant));
      const replies = (await execOrThrow(pipeline)) as Record<string, string>[];
      batch.forEach((tenant, n) => {
        const list: WebhookRoute[] = [];
        for (const [id, value] of Object.entries(replies[n] ?? {})) {
          const route = parseRoute(id, tenant, value, intern);
          if (route) list.push(route);
        }
        routes.set(tenant, list);
      });
    }
    return routes;
  }

  /** Each tenant's route digest (`<count>:<xor>`), read atomically with the webhooks' version. */
  async tenantDigests(): Promise<{ version: string; digests: Map<string, string> }> {
    const [version, flat] = (await READ_TENANT_DIGESTS.run(this.redis, [this.keys.webhooksVersion, this.keys.webhookTenants], [])) as [string, string[]];
    const digests = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) digests.set(flat[i] as string, flat[i + 1] as string);
    return { version: String(version), digests };
  }

  /**
   * Makes every route agree with its webhook's document, and drops routes whose document is gone:
   * for webhooks written before routes existed, or by a writer that does not keep them. It reads
   * every document (a few hundred a call); safe to run again, and beside writers. Returns how many
   * routes it wrote or removed.
   */
  async rebuildRoutes(): Promise<number> {
    let changed = 0;
    const fix = async (pairs: [id: string, tenant: string][]) => {
      if (pairs.length === 0) return;
      const keys = [this.keys.webhooks, this.keys.webhooksVersion, this.keys.webhookChanges, this.keys.webhookTenants, ...pairs.map(([, tenant]) => this.keys.webhookRoutes(tenant))];
      changed += Number(await INDEX_ROUTES.run(this.redis, keys, pairs.flat()));
    };
    // HSCAN returns every document present from its start to its end; one written meanwhile got
    // its route from its writer.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.webhooks, cursor, 'COUNT', ROUTE_BATCH);
      cursor = next;
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        seen.add(flat[i] as string);
        const tenant = (safeJson(flat[i + 1] as string) as { tenant?: unknown } | undefined)?.tenant;
        if (typeof tenant === 'string') pairs.push([flat[i] as string, tenant]);
      }
      await fix(pairs);
    } while (cursor !== '0');
    // Routes of no document seen: gone (deleted by a writer that keeps no routes), unless written
    // since; the script looks at the document again before it removes one.
    const { digests } = await this.tenantDigests();
    for (const [tenant, routes] of await this.routesOf([...digests.keys()])) {
      const orphans = routes.filter((route) => !seen.has(route.id)).map((route): [string, string] => [route.id, tenant]);
      for (let i = 0; i < orphans.length; i += ROUTE_BATCH) await fix(orphans.slice(i, i + ROUTE_BATCH));
    }
    return changed;
  }

  /** Whether every webhook has a route: the tenants' digests count as many as there are documents. */
  async routesComplete(): Promise<boolean> {
    const [{ digests }, documents] = await Promise.all([this.tenantDigests(), this.redis.hlen(this.keys.webhooks)]);
    let routes = 0;
    for (const digest of digests.values()) routes += Number(digest.split(':')[0]);
    return routes === documents;
  }

  private changeKeys(): string[] {
    return [this.keys.webhooksVersion, this.keys.webhookChanges, this.keys.webhookChangesTrimmed, this.keys.webhooks];
  }

  private writeKeys(tenant: string): string[] {
    return [this.keys.webhooks, this.keys.webhooksVersion, this.keys.webhookChanges, this.keys.webhookChangesTrimmed, this.keys.webhookRoutes(tenant), this.keys.webhookTenants];
  }

  /**
   * A webhook with `ordering` switches its partition's fan-out to recording which entries it is
   * planning (fifo/), before the webhook is written: every batch read once workers can know the
   * webhook is recorded. It stays on (one set member per entry read, in the read's own script).
   */
  private async switchOrderingOn(webhook: Webhook): Promise<void> {
    if (!webhook.ordering) return;
    await this.redis.set(this.keysOfWebhook(webhook.id).fifoOn, '1');
    // With partitions, the API ingests this tenant's events into its ordered partition from now on.
    await this.redis.sadd(this.keys.fifoTenants, webhook.tenant);
  }

  /** 1 written, 0 changed meanwhile (replace), -1 no such webhook (replace, delete). */
  private async write(webhook: { id: string; tenant: string }, mode: 'create' | 'replace', readJson: string, json: string): Promise<number> {
    const args = writeArgs({ id: webhook.id, mode, readJson, json, changesKept: this.changesKept, tenant: webhook.tenant });
    return Number(await WRITE_WEBHOOK.run(this.redis, this.writeKeys(webhook.tenant), args));
  }

  /**
   * Applies a partial update (null clears an optional field, or resets one with a default). Returns
   * null when there is no such webhook; throws InvalidWebhookError when the result would be invalid.
   */
  async update(id: string, patch: z.output<typeof webhookUpdateSchema>, nowMs: number = Date.now()): Promise<Webhook | null> {
    let reEnabled = false;
    let breakerSwitchedOff = false;
    let linesChanged = false;
    const updated = await this.mutate(id, nowMs, (current) => {
      reEnabled = patch.enabled === true && !current.enabled;
      // Ordering removed, or keyed otherwise: its blocked lines would wait for an operator forever.
      linesChanged = current.ordering !== undefined && (patch.ordering === null || (patch.ordering !== undefined && patch.ordering.key !== current.ordering.key));
      breakerSwitchedOff = current.circuitBreaker?.enabled !== false && patch.circuitBreaker?.enabled === false;
      const merged: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (value === null) delete merged[field];
        else merged[field] = value;
      }
      return checkedAsNew(merged);
    });
    if (updated && linesChanged) await new FifoLines(this.redis, this.keysOfWebhook(id)).unblockAll(id);
    // A webhook switched back on starts with a closed circuit and a full bucket.
    if (updated && reEnabled) {
      await execOrThrow(this.circuits(id).queueForget(this.redis.multi().del(this.keysOfWebhook(id).rateLimit(id)), id, { keepStreak: false }));
    } else if (updated && breakerSwitchedOff) {
      // No breaker, no open circuit: the state goes (and the open-circuits gauge with it); the
      // failure streak stays, since a webhook failing continuously is disabled either way.
      await execOrThrow(this.circuits(id).queueForget(this.redis.multi(), id, { keepStreak: true }));
    }
    return updated;
  }

  /** Disables a webhook; true only for the call that turned it from enabled to disabled. */
  async disable(id: string, nowMs: number = Date.now()): Promise<boolean> {
    let wasEnabled = false;
    const updated = await this.mutate(id, nowMs, (current) => {
      wasEnabled = current.enabled;
      return { ...current, enabled: false };
    });
    return updated !== null && wasEnabled;
  }

  /**
   * Gives the webhook a new signing secret. The old one keeps signing (both signatures are sent)
   * until `graceMs` has passed; secrets already expired are dropped.
   */
  async rotateSecret(id: string, graceMs: number, nowMs: number = Date.now()): Promise<Webhook | null> {
    return this.mutate(id, nowMs, (current) => ({
      ...current,
      secret: generateSigningSecret(),
      previousSecrets: [
        ...(graceMs > 0 ? [{ secret: current.secret, expiresAt: nowMs + graceMs }] : []),
        ...current.previousSecrets.filter((previous) => previous.expiresAt > nowMs),
      ],
    }));
  }

  /**
   * Read-modify-write with compare-and-set, so concurrent writers (an operator's PATCH, a worker
   * disabling the webhook) never overwrite each other.
   */
  private async mutate(id: string, nowMs: number, change: (current: Webhook) => Record<string, unknown>): Promise<Webhook | null> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const currentJson = await this.redis.hget(this.keys.webhooks, id);
      if (!currentJson) return null;
      const current = this.parse(currentJson);
      // A webhook never changes tenant: its routes stay where they are.
      const webhook = webhookSchema.parse({ ...change(current), tenant: current.tenant, updatedAt: new Date(nowMs).toISOString() });
      await this.switchOrderingOn(webhook);
      const replaced = await this.write(current, 'replace', currentJson, this.serialize(webhook));
      if (replaced === 1) return webhook;
      if (replaced === -1) return null;
    }
    throw new Error(`webhook ${id} kept changing; update abandoned after ${UPDATE_ATTEMPTS} attempts`);
  }

  /**
   * Rewrites every document whose secrets are not sealed under the current key (after
   * HERALD_ENCRYPTION_KEY was set or rotated), compare-and-set like any write, without touching
   * `updatedAt`. Returns how many documents it rewrote and how many it could not open (their ids).
   */
  async reencrypt(): Promise<{ rewritten: number; unreadable: string[] }> {
    let rewritten = 0;
    const unreadable: string[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.webhooks, cursor, 'COUNT', ROUTE_BATCH);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i] as string;
        const outcome = await this.reencryptOne(id, flat[i + 1] as string);
        if (outcome === 'rewritten') rewritten++;
        if (outcome === 'unreadable') unreadable.push(id);
      }
    } while (cursor !== '0');
    return { rewritten, unreadable };
  }

  private async reencryptOne(id: string, firstJson: string): Promise<'rewritten' | 'current' | 'unreadable' | 'gone'> {
    let json: string | null = firstJson;
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS && json !== null; attempt++) {
      if (webhookSealedCurrently(safeJson(json), this.secrets)) return 'current';
      const webhook = this.tryParse(json);
      if (!webhook) return 'unreadable';
      const replaced = await this.write(webhook, 'replace', json, this.serialize(webhook));
      if (replaced === 1) return 'rewritten';
      if (replaced === -1) return 'gone';
      json = await this.redis.hget(this.keys.webhooks, id);
    }
    return json === null ? 'gone' : 'unreadable';
  }

  /**
   * Deletes a webhook, then its attempt log, counters and circuit in its partition, leaving a
   * marker there for a day so that deliveries still settling record nothing more for it.
   */
  async delete(id: string): Promise<boolean> {
    const json = await this.redis.hget(this.keys.webhooks, id);
    if (json === null) return false;
    // A document that is not JSON has no route; any tenant's routes will do to find none there.
    const tenant = (safeJson(json) as { tenant?: unknown } | undefined)?.tenant;
    const owner = typeof tenant === 'string' ? tenant : '';
    const args = writeArgs({ id, mode: 'delete', readJson: '', json: '', changesKept: this.changesKept, tenant: owner });
    const removed = Number(await WRITE_WEBHOOK.run(this.redis, this.writeKeys(owner), args));
    if (removed !== 1) return false;
    const keys = this.keysOfWebhook(id);
    const cleanup = this.redis
      .multi()
      .del(keys.attempts(id), keys.webhookStats(id), keys.rateLimit(id))
      .set(keys.deletedWebhook(id), '1', 'EX', DELETED_MARKER_TTL_SECONDS);
    await execOrThrow(this.circuits(id).queueForget(cleanup, id, { keepStreak: false }));
    // Its FIFO lines drain (their deliveries skipped), none held by a blocked head.
    await new FifoLines(this.redis, keys).unblockAll(id);
    return true;
  }
}

/** How long a deleted webhook's marker stays in its partition: past any delivery still settling. */
const DELETED_MARKER_TTL_SECONDS = 86_400;
