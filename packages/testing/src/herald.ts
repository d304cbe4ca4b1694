// Starts a real Herald (API and worker child processes) on the run's redis-server, under a prefix of its own.
import { type Queue } from 'bullmq';
import { FANOUT_GROUP, PartitionLayout, createDeliveryQueue, createRedis, type RedisClient, type RedisKeys, type RedisTarget } from '@herald/shared';
import { apiClient, type ApiClient } from './api-client';
import { startApi, startWorker, type RunningApi, type RunningWorker } from './processes';
import { testRedisUrl, uniquePrefix } from './prefix';
import { waitFor } from './wait';

/** Settings that make failure handling observable within a test's time. */
export const FAST_WORKER_ENV = {
  HERALD_CLAIM_IDLE_MS: '1500',
  HERALD_JOB_LOCK_MS: '3000',
  HERALD_WEBHOOK_CACHE_MS: '0',
  HERALD_SHUTDOWN_TIMEOUT_MS: '15000',
};

export interface Herald {
  prefix: string;
  /** Where each key lives (HeraldOptions.partitions). */
  layout: PartitionLayout;
  /** The keys of partition 0: every key, with one partition. */
  keys: RedisKeys;
  api: RunningApi;
  workers: RunningWorker[];
  client: ApiClient;
  /** A direct connection, for what producers and operators do to Redis themselves. */
  redis: RedisClient;
  /** Partition 0's delivery queue: the only one, with one partition. */
  queue: Queue;
  /** Every partition's delivery queue, by partition. */
  queues: Queue[];
  startWorker(env?: Record<string, string>): Promise<RunningWorker>;
  /**
   * Resolves once every event in the stream has been read and acknowledged (all its deliveries
   * settled: attempted straight from the stream, or queued) and no delivery job is waiting,
   * delayed or active: what was published before has been done, and nothing more will come of it.
   */
  waitForSettled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HeraldOptions {
  workers?: number;
  /** For both API and workers. */
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Another Redis (a cluster, say) instead of the run's redis-server. */
  redis?: RedisTarget;
  /** Default: a prefix unique to this run and `name`. */
  prefix?: string;
  /** HERALD_PARTITIONS; default 1. */
  partitions?: number;
}

export async function startHerald(name: string, options: HeraldOptions = {}): Promise<Herald> {
  const prefix = options.prefix ?? uniquePrefix(name);
  const target = options.redis ?? { url: testRedisUrl(), cluster: false };
  const env = {
    REDIS_URL: target.url,
    HERALD_REDIS_CLUSTER: String(target.cluster),
    HERALD_PREFIX: prefix,
    // Receivers listen on loopback, which Herald refuses unless private targets are allowed.
    HERALD_ALLOW_PRIVATE_TARGETS: 'true',
    HERALD_PARTITIONS: String(options.partitions ?? 1),
    ...options.env,
  };
  const layout = new PartitionLayout(prefix, options.partitions ?? 1);
  const api = await startApi(env);
  const workers: RunningWorker[] = [];
  const redis = createRedis(target, { maxRetriesPerRequest: 20 });
  const queueConnection = createRedis(target);
  const queues = layout.all().map((n) => createDeliveryQueue(queueConnection, layout.keys(n).bullPrefix));
  const herald: Herald = {
    prefix,
    layout,
    keys: layout.keys(0),
    api,
    workers,
    client: apiClient(api.url, api.token),
    redis,
    queue: queues[0] as Queue,
    queues,
    async startWorker(extra = {}) {
      const worker = await startWorker({ ...env, ...FAST_WORKER_ENV, ...options.workerEnv, ...extra });
      workers.push(worker);
      return worker;
    },
    async waitForSettled(timeoutMs = 20_000) {
      const streams = layout.all().map((n) => layout.keys(n).eventsStream);
      const streamsSettled = async () => (await Promise.all(streams.map((stream) => streamSettled(redis, stream)))).every(Boolean);
      await waitFor(
        async () => {
          // The streams first: settling an entry may queue a job, never the other way round.
          if (!(await streamsSettled())) return false;
          const counts = await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children')));
          if (!counts.every((count) => Object.values(count).every((n) => n === 0))) return false;
          // Fan-out writes an event into another partition's stream before it acknowledges it in its
          // own: once every stream was settled, a second look finds any entry written meanwhile.
          return streams.length === 1 || streamsSettled();
        },
        { timeoutMs, message: 'every event settled and the delivery queues idle' },
      );
    },
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop('SIGTERM')));
      await api.stop('SIGTERM');
      await Promise.all(queues.map((queue) => queue.close()));
      queueConnection.disconnect();
      redis.disconnect();
    },
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await herald.startWorker();
  return herald;
}

/** Creates a webhook through the API and returns its id and secret. */
export async function createWebhook(client: ApiClient, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await client.post('/v1/webhooks', body);
  if (response.status !== 201) throw new Error(`webhook creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id as string, secret: response.body.secret as string };
}

export async function publish(client: ApiClient, event: Record<string, unknown>): Promise<string> {
  const response = await client.post('/v1/events', event);
  if (response.status !== 202) throw new Error(`publish failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

/** Publishes `count` events of `type` for `tenant` in one batch (data `{ n }`, from `offset`); their ids, in order. */
export async function publishBatch(client: ApiClient, tenant: string, type: string, count: number, offset = 0): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => ({ tenant, type, data: { n: offset + i } }));
  const response = await client.post('/v1/events/batch', { events });
  if (response.status !== 202) throw new Error(`publish failed: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body.events as { id: string }[]).map((e) => e.id);
}

/**
 * Whether the fan-out group has read every entry of the stream and acknowledged them all. A script
 * (EVAL routes by its key), since a cluster client would send XINFO to any node.
 */
const STREAM_SETTLED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
local last = redis.call('XINFO', 'STREAM', KEYS[1])
local generated, length
for i = 1, #last, 2 do
  if last[i] == 'last-generated-id' then generated = last[i + 1] end
  if last[i] == 'length' then length = last[i + 1] end
end
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  if info.name == ARGV[1] then
    return (info.pending == 0 and info['last-delivered-id'] == generated) and 1 or 0
  end
end
return length == 0 and 1 or 0
`;

async function streamSettled(redis: RedisClient, stream: string): Promise<boolean> {
  return Number(await redis.eval(STREAM_SETTLED, 1, stream, FANOUT_GROUP)) === 1;
}
