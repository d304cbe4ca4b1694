import { Redis, type ChainableCommander, type RedisOptions } from 'ioredis';
import { Queue } from 'bullmq';
import { DELIVERY_QUEUE, FANOUT_GROUP, type RedisKeys } from './keys';
import { defineScripts } from './lua/scripts';

/**
 * A Redis connection for Herald. `maxRetriesPerRequest: null` (the default here) is what BullMQ
 * needs, and makes commands wait out a Redis restart; pass a number where a caller must fail fast.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...options,
  });
  defineScripts(redis);
  return redis;
}

/** The deliveries queue, its keys under Herald's prefix. */
export function createDeliveryQueue(connection: Redis, prefix: string): Queue {
  return new Queue(DELIVERY_QUEUE, { connection, prefix });
}

/** Sends a pipeline or transaction; throws the first command error instead of returning it. */
export async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** PING with a deadline: readiness checks must answer even while Redis does not. */
export async function pingWithin(redis: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.ping(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates the `fanout` consumer group (and the stream) if missing. It starts at the beginning of
 * the stream, so events published before any worker ever ran are still delivered.
 */
export async function ensureFanoutGroup(redis: Redis, keys: RedisKeys): Promise<void> {
  try {
    await redis.xgroup('CREATE', keys.eventsStream, FANOUT_GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!(error as Error).message.includes('BUSYGROUP')) throw error;
  }
}
