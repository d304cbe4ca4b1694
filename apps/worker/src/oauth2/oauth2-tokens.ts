// OAuth2 access tokens for webhooks, shared by every worker: cached in Redis (sealed, keyed by a
// fingerprint of the settings), fetched by one worker at a time, renewed ahead of expiry, and held
// in memory meanwhile, so most deliveries cost no Redis round trip for their token.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LuaScript, type Logger, type RedisClient, type RedisKeys, type SecretBox } from '@herald/shared';
import type { HttpClient } from '../attempt/http-client';
import { tokenOutcome, tokenRequest, type OAuth2Settings, type TokenOutcome } from './token-request';

const DELETE_IF_EQUAL = new LuaScript(join(__dirname, 'delete-if-equal-1.lua'));

/** How long a refusal from the token endpoint is remembered, so deliveries in flight share it rather than each asking. */
const REFUSAL_KEPT_MS = 5000;
/** Configurations whose token a worker keeps in memory; beyond this many it starts afresh. */
const KEPT_IN_MEMORY = 10_000;
/** How often a worker waiting for another's token request looks whether it is done. */
const WAIT_POLL_MS = 50;
/** Renewal starts this share of a token's lifetime before it expires (at most a minute before). */
const RENEW_AHEAD_SHARE = 0.2;
const RENEW_AHEAD_MAX_MS = 60_000;

export type TokenGrant =
  | { ok: true; accessToken: string; /** The cached value it came from, to invalidate exactly it. */ stored: string }
  | Extract<TokenOutcome, { ok: false }>;

interface Cached {
  accessToken: string;
  stored: string;
  renewAtMs: number;
  expiresAtMs: number;
}

/** What Redis holds for a configuration: a sealed token and its times, or a refusal. */
type StoredValue = { t: string; r: number; e: number } | { refused: string };

export interface OAuth2TokensDeps {
  redis: RedisClient;
  keys: RedisKeys;
  http: HttpClient;
  secrets: SecretBox;
  logger: Logger;
  userAgent: string;
}

export class OAuth2Tokens {
  private readonly memory = new Map<string, Cached>();
  private readonly ids = new WeakMap<object, string>();

  constructor(private readonly deps: OAuth2TokensDeps) {}

  /**
   * A token for these settings: from memory, else from Redis, else from the token endpoint — by this
   * worker if no other is asking already, otherwise the one the other gets. Waits at most `timeoutMs`.
   */
  async get(auth: OAuth2Settings, timeoutMs: number): Promise<TokenGrant> {
    const id = this.idOf(auth);
    const known = this.memory.get(id);
    if (known && Date.now() < known.renewAtMs) return { ok: true, accessToken: known.accessToken, stored: known.stored };
    const deadline = Date.now() + timeoutMs;
    const lockKey = this.deps.keys.oauth2TokenLock(id);
    for (;;) {
      const now = Date.now();
      const cached = await this.read(id);
      if (cached && 'refused' in cached) return { ok: false, kind: 'rejected', reason: cached.refused };
      if (cached && now < cached.renewAtMs) return this.remember(id, cached);
      const owner = randomBytes(9).toString('base64url');
      if ((await this.deps.redis.set(lockKey, owner, 'PX', timeoutMs + 1000, 'NX')) === 'OK') {
        try {
          return await this.fetch(id, auth, timeoutMs);
        } finally {
          await DELETE_IF_EQUAL.run(this.deps.redis, [lockKey], [owner]);
        }
      }
      // Another worker is asking: a token not yet expired serves meanwhile, else its answer is awaited.
      if (cached && now < cached.expiresAtMs) return { ok: true, accessToken: cached.accessToken, stored: cached.stored };
      if (Date.now() >= deadline) return { ok: false, kind: 'unavailable', reason: `no token from ${auth.tokenUrl} within ${timeoutMs} ms` };
      await sleep(WAIT_POLL_MS);
    }
  }

  /**
   * The endpoint refused `grant`'s token (401): it is forgotten here and in Redis, unless another
   * worker has already put a newer one there.
   */
  async invalidate(auth: OAuth2Settings, grant: Extract<TokenGrant, { ok: true }>): Promise<void> {
    const id = this.idOf(auth);
    if (this.memory.get(id)?.stored === grant.stored) this.memory.delete(id);
    await DELETE_IF_EQUAL.run(this.deps.redis, [this.deps.keys.oauth2Token(id)], [grant.stored]);
  }

  private async fetch(id: string, auth: OAuth2Settings, timeoutMs: number): Promise<TokenGrant> {
    const key = this.deps.keys.oauth2Token(id);
    const outcome = tokenOutcome(await this.deps.http.send(tokenRequest(auth, { nowMs: Date.now(), timeoutMs, userAgent: this.deps.userAgent })), auth.tokenUrl);
    if (!outcome.ok) {
      this.deps.logger.warn({ tokenUrl: auth.tokenUrl, kind: outcome.kind, reason: outcome.reason }, 'oauth2 token request failed');
      if (outcome.kind === 'rejected') await this.deps.redis.set(key, JSON.stringify({ refused: outcome.reason } satisfies StoredValue), 'PX', REFUSAL_KEPT_MS);
      return outcome;
    }
    const now = Date.now();
    const expiresAtMs = now + outcome.lifetimeMs;
    const renewAtMs = expiresAtMs - Math.min(RENEW_AHEAD_MAX_MS, outcome.lifetimeMs * RENEW_AHEAD_SHARE);
    const stored = JSON.stringify({ t: this.deps.secrets.seal(outcome.accessToken), r: renewAtMs, e: expiresAtMs } satisfies StoredValue);
    await this.deps.redis.set(key, stored, 'PX', outcome.lifetimeMs);
    return this.remember(id, { accessToken: outcome.accessToken, stored, renewAtMs, expiresAtMs });
  }

  private async read(id: string): Promise<Cached | { refused: string } | null> {
    const stored = await this.deps.redis.get(this.deps.keys.oauth2Token(id));
    if (stored === null) return null;
    try {
      const value = JSON.parse(stored) as StoredValue;
      if ('refused' in value) return { refused: value.refused };
      return { accessToken: this.deps.secrets.open(value.t), stored, renewAtMs: value.r, expiresAtMs: value.e };
    } catch (error) {
      // Unreadable (another key, say): as if there were none; the next token replaces it.
      this.deps.logger.warn({ err: (error as Error).message }, 'cached oauth2 token unreadable');
      return null;
    }
  }

  private remember(id: string, cached: Cached): TokenGrant {
    if (this.memory.size >= KEPT_IN_MEMORY && !this.memory.has(id)) this.memory.clear();
    this.memory.set(id, cached);
    return { ok: true, accessToken: cached.accessToken, stored: cached.stored };
  }

  /** The configuration's fingerprint: the same settings share a token, changed ones get a new one. Once per settings object. */
  private idOf(auth: OAuth2Settings): string {
    let id = this.ids.get(auth);
    if (id === undefined) {
      const { tokenUrl, clientId, clientSecret, privateKeyJwt, scope, audience, extraParams } = auth;
      const method = auth.authMethod ?? (privateKeyJwt ? 'jwt' : 'basic');
      id = this.deps.secrets.fingerprint(JSON.stringify([tokenUrl, clientId, clientSecret, privateKeyJwt, method, scope, audience, extraParams]));
      this.ids.set(auth, id);
    }
    return id;
  }
}
