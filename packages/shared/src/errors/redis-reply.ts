import { ReplyError } from 'ioredis';

/**
 * The code Redis opens an error reply with (`NOGROUP`, `BUSYGROUP`, `WRONGTYPE`, `OOM`, …), when
 * `error` is an error reply: Redis's own machine-readable code, not free text.
 */
export function redisReplyCode(error: unknown): string | undefined {
  return error instanceof ReplyError ? /^[A-Z]+(?= )/.exec((error as Error).message)?.[0] : undefined;
}

/**
 * Redis refused a write because it is at `maxmemory` (with `noeviction`, as Herald's Redis must be).
 * Inside MULTI it refuses every command, reads too, and EXEC then aborts: ioredis keeps the
 * refusals as the abort's `previousErrors`.
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  const code = redisReplyCode(error);
  if (code === 'OOM') return true;
  const previous = (error as { previousErrors?: unknown[] } | undefined)?.previousErrors;
  return code === 'EXECABORT' && Array.isArray(previous) && previous.some((cause) => redisReplyCode(cause) === 'OOM');
}

/**
 * Redis Cluster moving or failing over under a command: a slot moved (MOVED, ASK past ioredis's
 * redirections), keys in migration (TRYAGAIN), the cluster or a master down, a replica promoted
 * that is still loading, or a script not yet loaded on the node that just took a slot over. Each
 * passes within seconds: a request answers 503 with Retry-After, never 500.
 */
export function isRedisTopologyChange(error: unknown): boolean {
  const code = redisReplyCode(error);
  if (code && ['MOVED', 'ASK', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'LOADING', 'READONLY', 'NOSCRIPT'].includes(code)) return true;
  const message = (error as Error | undefined)?.message ?? '';
  return /Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready/.test(message);
}
