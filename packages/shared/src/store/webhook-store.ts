import type { RedisClient } from '../redis-client';
import type { z } from 'zod';
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

export interface WebhookSnapshot {
  version: string;
  webhooks: Webhook[];
  /** Ids whose stored document does not parse (skipped, so one bad record cannot stop fan-out). */
  unreadable: string[];
}

/** What changed since a version: each changed webhook, or null for one deleted (or unreadable). */
export interface WebhookChanges {
  version: string;
  changed: Map<string, Webhook | null>;
}

/** The order webhooks are listed and fanned out in: oldest first, ties by id. */
export function oldestWebhookFirst(a: Webhook, b: Webhook): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

const WRITE_WEBHOOK = new LuaScript(join(__dirname, '..', 'lua', 'write-webhook-4.lua'));
const WEBHOOK_CHANGES = new LuaScript(join(__dirname, '..', 'lua', 'webhook-changes-4.lua'));
const READ_WEBHOOKS = new LuaScript(join(__dirname, '..', 'lua', 'read-webhooks-2.lua'));

type WriteMode = 'create' | 'replace' | 'delete';

/** write-webhook-4.lua's arguments, by name. */
function writeArgs(write: { id: string; mode: WriteMode; readJson: string; json: string; changesKept: number }): (string | number)[] {
  return [write.id, write.mode, write.readJson, write.json, write.changesKept];
}

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
 * webhook each recent version changed (every write goes through lua/write-webhook-4.lua).
 */
export class WebhookStore {
  private readonly circuits: CircuitBreaker;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly changesKept: number = CHANGES_KEPT,
  ) {
    this.circuits = new CircuitBreaker(redis, keys);
  }

  async create(input: z.output<typeof webhookCreateSchema>, nowMs: number = Date.now()): Promise<Webhook> {
    const now = new Date(nowMs).toISOString();
    const webhook: Webhook = webhookSchema.parse({
      ...input,
      id: newWebhookId(nowMs),
      secret: generateSigningSecret(),
      previousSecrets: [],
      createdAt: now,
      updatedAt: now,
    });
    await this.write(webhook.id, 'create', '', JSON.stringify(webhook));
    return webhook;
  }

  async get(id: string): Promise<Webhook | null> {
    const json = await this.redis.hget(this.keys.webhooks, id);
    return json ? webhookSchema.parse(JSON.parse(json)) : null;
  }

  /** The webhooks that exist among `ids`, by id. */
  async getMany(ids: readonly string[]): Promise<Map<string, Webhook>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const jsons = await this.redis.hmget(this.keys.webhooks, ...unique);
    const found = new Map<string, Webhook>();
    jsons.forEach((json, index) => {
      if (json) found.set(unique[index] as string, webhookSchema.parse(JSON.parse(json)));
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
      const parsed = safeJson(flat[i + 1] as string);
      const result = webhookSchema.safeParse(parsed);
      if (result.success) webhooks.push(result.data);
      else unreadable.push(id);
    }
    webhooks.sort(oldestWebhookFirst);
    return { version: String(version), webhooks, unreadable };
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.keys.webhooksVersion)) ?? '0';
  }

  /**
   * The webhooks changed since `version`, read atomically with the current version; null when only
   * a full `snapshot()` can tell (too far behind, more than `max` changes, or the store was reset).
   */
  async changesSince(version: string, max = 1000): Promise<WebhookChanges | null> {
    const reply = (await WEBHOOK_CHANGES.run(this.redis, this.changeKeys(), [version, max])) as (
      | string
      | number
      | null
    )[];
    if (reply[1] !== 'delta') return null;
    const changed = new Map<string, Webhook | null>();
    for (let i = 2; i + 1 < reply.length; i += 2) {
      const json = reply[i + 1];
      const result = typeof json === 'string' ? webhookSchema.safeParse(safeJson(json)) : undefined;
      changed.set(String(reply[i]), result?.success ? result.data : null);
    }
    return { version: String(reply[0]), changed };
  }

  private changeKeys(): string[] {
    return [this.keys.webhooksVersion, this.keys.webhookChanges, this.keys.webhookChangesTrimmed, this.keys.webhooks];
  }

  private writeKeys(): string[] {
    return [this.keys.webhooks, this.keys.webhooksVersion, this.keys.webhookChanges, this.keys.webhookChangesTrimmed];
  }

  /** 1 written, 0 changed meanwhile (replace), -1 no such webhook (replace, delete). */
  private async write(id: string, mode: 'create' | 'replace', readJson: string, json: string): Promise<number> {
    return Number(await WRITE_WEBHOOK.run(this.redis, this.writeKeys(), writeArgs({ id, mode, readJson, json, changesKept: this.changesKept })));
  }

  /**
   * Applies a partial update (null clears an optional field, or resets one with a default). Returns
   * null when there is no such webhook; throws InvalidWebhookError when the result would be invalid.
   */
  async update(id: string, patch: z.output<typeof webhookUpdateSchema>, nowMs: number = Date.now()): Promise<Webhook | null> {
    let reEnabled = false;
    let breakerSwitchedOff = false;
    const updated = await this.mutate(id, nowMs, (current) => {
      reEnabled = patch.enabled === true && !current.enabled;
      breakerSwitchedOff = current.circuitBreaker?.enabled !== false && patch.circuitBreaker?.enabled === false;
      const merged: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (value === null) delete merged[field];
        else merged[field] = value;
      }
      return checkedAsNew(merged);
    });
    // A webhook switched back on starts with a closed circuit and a full bucket.
    if (updated && reEnabled) {
      await execOrThrow(this.circuits.queueForget(this.redis.multi().del(this.keys.rateLimit(id)), id, { keepStreak: false }));
    } else if (updated && breakerSwitchedOff) {
      // No breaker, no open circuit: the state goes (and the open-circuits gauge with it); the
      // failure streak stays, since a webhook failing continuously is disabled either way.
      await execOrThrow(this.circuits.queueForget(this.redis.multi(), id, { keepStreak: true }));
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
      const changed = change(webhookSchema.parse(JSON.parse(currentJson)));
      const webhook = webhookSchema.parse({ ...changed, updatedAt: new Date(nowMs).toISOString() });
      const replaced = await this.write(id, 'replace', currentJson, JSON.stringify(webhook));
      if (replaced === 1) return webhook;
      if (replaced === -1) return null;
    }
    throw new Error(`webhook ${id} kept changing; update abandoned after ${UPDATE_ATTEMPTS} attempts`);
  }

  /** Deletes a webhook with its attempt log and counters. */
  async delete(id: string): Promise<boolean> {
    WRITE_WEBHOOK.define(this.redis);
    const transaction = WRITE_WEBHOOK.queue(this.redis.multi(), this.writeKeys(), writeArgs({ id, mode: 'delete', readJson: '', json: '', changesKept: this.changesKept }))
      .del(this.keys.attempts(id), this.keys.webhookStats(id), this.keys.rateLimit(id));
    const [removed] = await execOrThrow(this.circuits.queueForget(transaction, id, { keepStreak: false }));
    return removed === 1;
  }
}
