import type { Redis } from 'ioredis';
import { newWebhookId } from '../ids';
import type { RedisKeys } from '../keys';
import { generateSigningSecret } from '../signing/secret';
import { type webhookCreateSchema, webhookSchema, type webhookUpdateSchema, type Webhook } from '../schemas/webhook';
import type { z } from 'zod';

export interface WebhookSnapshot {
  version: string;
  webhooks: Webhook[];
}

/** Webhooks in Redis: one hash of JSON documents, and a version counter bumped on each change. */
export class WebhookStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

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
    await this.save(webhook);
    return webhook;
  }

  async get(id: string): Promise<Webhook | null> {
    const json = await this.redis.hget(this.keys.webhooks, id);
    return json ? webhookSchema.parse(JSON.parse(json)) : null;
  }

  /** Every webhook, or a tenant's, oldest first. */
  async list(tenant?: string): Promise<Webhook[]> {
    const { webhooks } = await this.snapshot();
    return webhooks.filter((webhook) => tenant === undefined || webhook.tenant === tenant);
  }

  /** All webhooks and the version they are at, read atomically. */
  async snapshot(): Promise<WebhookSnapshot> {
    const result = await this.redis.multi().get(this.keys.webhooksVersion).hgetall(this.keys.webhooks).exec();
    const [versionReply, allReply] = result ?? [];
    if (!versionReply || !allReply || versionReply[0] || allReply[0]) {
      throw versionReply?.[0] ?? allReply?.[0] ?? new Error('webhook snapshot failed');
    }
    const all = allReply[1] as Record<string, string>;
    const webhooks = Object.values(all)
      .map((json) => webhookSchema.parse(JSON.parse(json)))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { version: (versionReply[1] as string | null) ?? '0', webhooks };
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.keys.webhooksVersion)) ?? '0';
  }

  /** Applies a partial update; returns null when there is no such webhook. */
  async update(id: string, patch: z.output<typeof webhookUpdateSchema>, nowMs: number = Date.now()): Promise<Webhook | null> {
    const current = await this.get(id);
    if (!current) return null;
    const merged: Record<string, unknown> = { ...current };
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      // null clears an optional field.
      if (value === null) delete merged[field];
      else merged[field] = value;
    }
    merged.updatedAt = new Date(nowMs).toISOString();
    const webhook = webhookSchema.parse(merged);
    await this.save(webhook);
    return webhook;
  }

  async delete(id: string): Promise<boolean> {
    const [[error, removed] = [null, 0]] = (await this.redis
      .multi()
      .hdel(this.keys.webhooks, id)
      .incr(this.keys.webhooksVersion)
      .exec()) ?? [];
    if (error) throw error;
    return removed === 1;
  }

  private async save(webhook: Webhook): Promise<void> {
    const result = await this.redis
      .multi()
      .hset(this.keys.webhooks, webhook.id, JSON.stringify(webhook))
      .incr(this.keys.webhooksVersion)
      .exec();
    const failure = result?.find(([error]) => error);
    if (failure) throw failure[0];
  }
}
