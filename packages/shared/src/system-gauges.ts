// Gauges of Herald's state as a whole (queue depths, dead letters, stream pending, open circuits),
// read from Redis on a timer, never per scrape, and served by the API and every worker.
import { Gauge, type Registry } from 'prom-client';
import type { RedisClient } from './redis-client';
import type { Queue } from 'bullmq';
import { FANOUT_GROUP, type RedisKeys } from './keys';
import { CircuitBreaker } from './circuit/circuit-breaker';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export class SystemGauges {
  readonly name = 'system-gauges';
  private timer: NodeJS.Timeout | undefined;
  private readonly queueJobs: Gauge<'state'>;
  private readonly deadLetters: Gauge;
  private readonly streamPending: Gauge;
  private readonly circuitsOpen: Gauge;

  constructor(
    registry: Registry,
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly queue: Queue,
    private readonly intervalMs: number,
  ) {
    const registers = [registry];
    this.queueJobs = new Gauge({ name: 'herald_queue_jobs', help: 'Delivery jobs by state.', labelNames: ['state'], registers });
    this.deadLetters = new Gauge({ name: 'herald_dead_letters', help: 'Deliveries parked in dead letters.', registers });
    this.streamPending = new Gauge({
      name: 'herald_stream_pending',
      help: 'Events read from the stream by a worker but not yet fanned out (acknowledged).',
      registers,
    });
    this.circuitsOpen = new Gauge({ name: 'herald_circuits_open', help: 'Webhooks whose circuit is open or half-open.', registers });
  }

  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  /** One reading of every gauge. */
  async refresh(): Promise<void> {
    const [counts, deadLetters, pending, circuits] = await Promise.all([
      this.queue.getJobCounts(...QUEUE_STATES),
      this.redis.zcard(this.keys.deadLettersByTime),
      (this.redis.xpending(this.keys.eventsStream, FANOUT_GROUP) as Promise<[number, ...unknown[]]>).catch(() => [0] as [number]),
      new CircuitBreaker(this.redis, this.keys).openCount(),
    ]);
    for (const state of QUEUE_STATES) this.queueJobs.set({ state }, counts[state] ?? 0);
    this.deadLetters.set(deadLetters);
    this.streamPending.set(Number(pending[0] ?? 0));
    this.circuitsOpen.set(circuits);
  }
}
