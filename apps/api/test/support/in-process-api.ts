// The API built in-process (createServer, for supertest) on the run's redis-server, under a prefix of its own.
import type { Express } from 'express';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import pino from 'pino';
import { createDeliveryQueue, PartitionLayout, redisKeys, type RedisKeys } from '@herald/shared';
import { testRedisUrl, uniquePrefix } from '@herald/testing';
import { createServer, type ServerDeps } from '../../src/server';
import { createApiMetrics } from '../../src/metrics';
import { DeliveryQueues } from '../../src/services/delivery-queues';

export const ADMIN_TOKEN = 'api-test-token-0123456789';
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface InProcessApi {
  app: Express;
  deps: ServerDeps;
  redis: Redis;
  keys: RedisKeys;
  queue: Queue;
  /** Another app on the same Redis and prefix, with some dependencies replaced. */
  withDeps(overrides: Partial<ServerDeps>): Express;
  close(): Promise<void>;
}

export function inProcessApi(name: string, overrides: Partial<ServerDeps> = {}): InProcessApi {
  const prefix = uniquePrefix(name);
  const keys = redisKeys(prefix);
  const redis = new Redis(testRedisUrl());
  const queueConnection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const queue = createDeliveryQueue(queueConnection, prefix);
  const deps: ServerDeps = {
    redis,
    layout: new PartitionLayout(prefix, 1),
    queues: new DeliveryQueues(new PartitionLayout(prefix, 1), [queue]),
    logger: pino({ level: 'silent' }),
    metrics: createApiMetrics(),
    adminToken: ADMIN_TOKEN,
    // Tests use example.com without DNS; the strict policy is tested where it matters.
    targetPolicy: { requireHttps: false, allowPrivate: true },
    streamMaxLen: 100_000,
    idempotencyTtlSeconds: 60,
    ...overrides,
  };
  return {
    app: createServer(deps),
    deps,
    redis,
    keys,
    queue,
    withDeps: (more) => createServer({ ...deps, ...more }),
    async close() {
      await queue.close();
      await queueConnection.quit();
      await redis.quit();
    },
  };
}
