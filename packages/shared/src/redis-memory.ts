// How full Redis is: used memory as a share of `maxmemory`, the figure the API refuses new events
// by (HERALD_REDIS_MEMORY_HIGH_WATER) and herald_redis_memory_ratio exports.
import type { Cluster } from 'ioredis';
import type { RedisClient } from './redis-client';

/** used_memory ÷ maxmemory, from INFO memory; 0 when Redis has no limit. */
export function memoryRatio(info: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const max = field('maxmemory');
  return max > 0 ? field('used_memory') / max : 0;
}

/** The share of its memory limit Redis uses; on a cluster, the fullest master's (Herald's keys may sit on any). */
export async function redisMemoryRatio(redis: RedisClient): Promise<number> {
  if ('nodes' in redis) {
    const ratios = await Promise.all((redis as Cluster).nodes('master').map(async (node) => memoryRatio(await node.info('memory'))));
    return Math.max(0, ...ratios);
  }
  return memoryRatio(await redis.info('memory'));
}
