import type { RedisClient } from '../redis-client';
import type { z } from 'zod';
import { newWebhookId } from '../ids';
import type { RedisKeys } from '../keys';
import { defineScripts, runScript } from '../lua/scripts';
import { execOrThrow } from '../redis';
import { generateSigningSecret } from '../signing/secret';
import { webhookSchema, type webhookCreateSchema, type webhookUpdateSchema, type Webhook } from '../schemas/webhook';

export interface WebhookSnapshot {
  version: string;
  webhooks: Webhook[];
  /** Ids whose stored document does not parse (skipped, so one bad record cannot stop fan-out). */
  unreadable: string[];
}

/** How often `update` re-reads and retries when another writer changed the webhook meanwhile. */
const UPDATE_ATTEMPTS = 10;

/** Webhooks in Redis: one hash of JSON documents, and a version counter bumped on each change. */
export class WebhookStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineScripts(redis);
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
    await execOrThrow(
      this.redis
        .multi()
        .hset(this.keys.webhooks, webhook.id, JSON.stringify(webhook))
        .incr(this.keys.webhooksVersion),
    );
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
    const [version, all] = (await execOrThrow(
      this.redis.multi().get(this.keys.webhooksVersion).hgetall(this.keys.webhooks),
    )) as [string | null, Record<string, string>];
    const webhooks: Webhook[] = [];
    const unreadable: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      const parsed = safeJson(json);
      const result = webhookSchema.safeParse(parsed);
      if (result.success) webhooks.push(result.data);
      else unreadable.push(id);
    }
    webhooks.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { version: version ?? '0', webhooks, unreadable };
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.keys.webhooksVersion)) ?? '0';
  }

  /**
   * Applies a partial update (null clears an optional field). Returns null when there is no such
   * webhook.
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
      return merged;
    });
    // A webhook switched back on starts with a closed circuit and a full bucket.
    if (updated && reEnabled) {
      await execOrThrow(this.redis.multi().del(this.keys.circuit(id), this.keys.rateLimit(id)).srem(this.keys.openCircuits, id));
    } else if (updated && breakerSwitchedOff) {
      // No breaker, no open circuit: the state goes (and the open-circuits gauge with it); the
      // failure streak stays, since a webhook failing continuously is disabled either way.
      await execOrThrow(
        this.redis.multi().hdel(this.keys.circuit(id), 'state', 'openUntil', 'probe', 'probeUntil').srem(this.keys.openCircuits, id),
      );
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
      const replaced = await runScript(
        this.redis, 'heraldReplaceWebhook', [this.keys.webhooks, this.keys.webhooksVersion],
        [id, currentJson, JSON.stringify(webhook)],
      );
      if (replaced === 1) return webhook;
      if (replaced === -1) return null;
    }
    throw new Error(`webhook ${id} kept changing; update abandoned after ${UPDATE_ATTEMPTS} attempts`);
  }

  /** Deletes a webhook with its attempt log and counters. */
  async delete(id: string): Promise<boolean> {
    const [removed] = await execOrThrow(
      this.redis
        .multi()
        .hdel(this.keys.webhooks, id)
        .del(this.keys.attempts(id), this.keys.webhookStats(id), this.keys.circuit(id), this.keys.rateLimit(id))
        .srem(this.keys.openCircuits, id)
        .incr(this.keys.webhooksVersion),
    );
    return removed === 1;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
