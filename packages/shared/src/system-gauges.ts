// Gauges of Herald's state as a whole (queue depths, dead letters, the stream's backlog and pending
// entries, open circuits), read from Redis on a timer, never per scrape, and served by the API and
// every worker.
import { Gauge, type Registry } from 'prom-client';
import type { RedisClient } from './redis-client';
import type { Queue } from 'bullmq';
import { FANOUT_GROUP } from './keys';
import type { PartitionLayout } from './partitions/partition-layout';
import { CircuitBreaker } from './circuit/circuit-breaker';
import { EventsStream } from './stream/events-stream';
import { redisMemoryRatio } from './redis-memory';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface SystemGaugesDeps {
  registry: Registry;
  redis: RedisClient;
  layout: PartitionLayout;
  /** Each partition's delivery queue, by partition. */
  queues: readonly Queue[];
}

export interface SystemGaugesOptions {
  /** How often the gauges are read, in ms. */
  intervalMs: number;
  /** The most unread events the stream may hold (HERALD_STREAM_MAXLEN), exported beside the backlog. */
  streamLagLimit: number;
}

export class SystemGauges {
  readonly name = 'system-gauges';
  private timer: NodeJS.Timeout | undefined;
  private readonly queueJobs: Gauge<'state'>;
  private readonly deadLetters: Gauge;
  private readonly streamPending: Gauge;
  private readonly circuitsOpen: Gauge;
  private readonly streamLag: Gauge;
  private readonly memoryRatio: Gauge;
  private readonly streams: EventsStream[];
  private readonly circuits: CircuitBreaker[];

  constructor(
    private readonly deps: SystemGaugesDeps,
    private readonly options: SystemGaugesOptions,
  ) {
    this.streams = deps.layout.all().map((n) => new EventsStream(deps.redis, deps.layout.keys(n)));
    this.circuits = deps.layout.all().map((n) => new CircuitBreaker(deps.redis, deps.layout.keys(n)));
    const registers = [deps.registry];
    this.queueJobs = new Gauge({ name: 'herald_queue_jobs', help: 'Delivery jobs by state.', labelNames: ['state'], registers });
    this.deadLetters = new Gauge({ name: 'herald_dead_letters', help: 'Deliveries parked in dead letters.', registers });
    this.streamPending = new Gauge({
      name: 'herald_stream_pending',
      help: 'Events read from the stream by a worker but not yet fanned out (acknowledged).',
      registers,
    });
    this.circuitsOpen = new Gauge({ name: 'herald_circuits_open', help: 'Webhooks whose circuit is open or half-open.', registers });
    this.streamLag = new Gauge({
      name: 'herald_stream_lag',
      help: 'Events in the stream no worker has read yet, in the partition with the most (absent before Redis 7, which cannot tell).',
      registers,
    });
    new Gauge({
      name: 'herald_stream_lag_limit',
      help: 'The most unread events the stream may hold (HERALD_STREAM_MAXLEN): at it, publishing answers 503 backlog full.',
      registers,
    }).set(options.streamLagLimit);
    this.memoryRatio = new Gauge({
      name: 'herald_redis_memory_ratio',
      help: "Redis's used memory as a share of its maxmemory (0 without a limit); past HERALD_REDIS_MEMORY_HIGH_WATER the API refuses new events.",
      registers,
    });
  }

  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  /** One reading of every gauge, summed over the partitions (the lag: the largest, which the limit applies to). */
  async refresh(): Promise<void> {
    const { redis, layout } = this.deps;
    const partitions = layout.all();
    const [counts, deadLetters, pending, circuits, lags, memory] = await Promise.all([
      Promise.all(this.deps.queues.map((queue) => queue.getJobCounts(...QUEUE_STATES))),
      Promise.all(partitions.map((n) => redis.zcard(layout.keys(n).deadLettersByTime))),
      Promise.all(
        partitions.map((n) =>
          (redis.xpending(layout.keys(n).eventsStream, FANOUT_GROUP) as Promise<[number, ...unknown[]]>).then((reply) => Number(reply[0] ?? 0), () => 0),
        ),
      ),
      Promise.all(this.circuits.map((breaker) => breaker.openCount())),
      Promise.all(this.streams.map((stream) => stream.unread())),
      redisMemoryRatio(redis),
    ]);
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    for (const state of QUEUE_STATES) this.queueJobs.set({ state }, sum(counts.map((c) => c[state] ?? 0)));
    this.deadLetters.set(sum(deadLetters));
    this.streamPending.set(sum(pending));
    this.circuitsOpen.set(sum(circuits));
    const known = lags.filter((lag): lag is number => lag !== undefined);
    if (known.length > 0) this.streamLag.set(Math.max(...known));
    this.memoryRatio.set(memory);
  }
}
