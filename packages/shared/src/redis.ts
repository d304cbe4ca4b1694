import { Redis, type RedisOptions } from 'ioredis';
import { Queue } from 'bullmq';
import { DELIVERY_QUEUE } from './keys';

/**
 * A Redis connection for Herald. `maxRetriesPerRequest: null` is what BullMQ needs on blocking
 * connections, and it makes every command wait out a Redis restart instead of failing.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...options,
  });
}

/** The deliveries queue, its keys under Herald's prefix. */
export function createDeliveryQueue(connection: Redis, prefix: string): Queue {
  return new Queue(DELIVERY_QUEUE, { connection, prefix });
}
