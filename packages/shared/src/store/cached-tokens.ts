// Cached OAuth2 access tokens are secrets too: when the encryption key changes they are dropped
// (the workers fetch new ones) rather than re-sealed, since they live minutes, not years.
import type { RedisKeys } from '../keys';
import type { RedisClient } from '../redis-client';

/** Deletes every cached OAuth2 token; returns how many. */
export async function dropCachedTokens(redis: RedisClient, keys: RedisKeys): Promise<number> {
  let dropped = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.oauth2TokensPattern, 'COUNT', 500);
    cursor = next;
    if (found.length > 0) dropped += await redis.del(...found);
  } while (cursor !== '0');
  return dropped;
}
