// Tenant API tokens created by the admin: stored only as SHA-256 hashes, shown once at creation.
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis-client';
import { z } from 'zod';
import type { RedisKeys } from '../keys';
import { execOrThrow } from '../redis';

export const storedTokenSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  description: z.string().optional(),
  createdAt: z.string(),
});
export type StoredToken = z.infer<typeof storedTokenSchema>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Creates a token for `tenant`; the returned `token` is never retrievable again. */
  async create(tenant: string, description?: string): Promise<StoredToken & { token: string }> {
    const token = `hrld_${tenant}_${randomBytes(24).toString('base64url')}`;
    const stored: StoredToken = {
      id: `tok_${randomBytes(9).toString('base64url')}`,
      tenant,
      ...(description ? { description } : {}),
      createdAt: new Date().toISOString(),
    };
    const hash = hashToken(token);
    await execOrThrow(
      this.redis
        .multi()
        .hset(this.keys.apiTokensByHash, hash, JSON.stringify(stored))
        .hset(this.keys.apiTokenIds, stored.id, hash),
    );
    return { ...stored, token };
  }

  /** The tenant token whose hash this is, if any. */
  async findByHash(hash: string): Promise<StoredToken | null> {
    const json = await this.redis.hget(this.keys.apiTokensByHash, hash);
    return json ? storedTokenSchema.parse(JSON.parse(json)) : null;
  }

  async list(): Promise<StoredToken[]> {
    const all = await this.redis.hgetall(this.keys.apiTokensByHash);
    return Object.values(all)
      .map((json) => storedTokenSchema.parse(JSON.parse(json)))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async revoke(id: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keys.apiTokenIds, id);
    if (!hash) return false;
    await execOrThrow(this.redis.multi().hdel(this.keys.apiTokensByHash, hash).hdel(this.keys.apiTokenIds, id));
    return true;
  }
}
