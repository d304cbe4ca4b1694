// Runs a cell for each partition this worker holds. With one partition every worker runs it; with
// several, workers lease them (shared/partitions/partition-leases.ts), about P/W each, and start
// and stop cells as their leases come and go: a worker joining, draining or dying changes every
// worker's share within seconds.
import { PartitionLeases, type Logger, type PartitionLayout, type RedisClient } from '@herald/shared';
import type { Service } from '../service';
import { PartitionCell, type CellShared } from './partition-cell';

/** How long a lease holds unrenewed: a dead worker's partitions are taken over after this. */
const LEASE_TTL_MS = 5000;
/** How often leases are renewed and shares looked at again. */
const LEASE_RENEW_EVERY_MS = 1000;

export class PartitionCells implements Service {
  readonly name = 'partitions';
  private readonly cells = new Map<number, PartitionCell>();
  /** Cells let go of, still finishing what they had in hand. */
  private readonly stopping = new Set<Promise<void>>();
  private readonly leases: PartitionLeases | undefined;
  private timer: NodeJS.Timeout | undefined;
  private turn: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly shared: CellShared,
    redis: RedisClient,
    /** This worker's name among the workers sharing the partitions. */
    worker: string,
    private readonly onChange: (partitions: readonly number[]) => void = () => undefined,
  ) {
    this.leases = shared.layout.partitioned ? new PartitionLeases(redis, shared.layout, worker, LEASE_TTL_MS) : undefined;
  }

  private get layout(): PartitionLayout {
    return this.shared.layout;
  }

  private get logger(): Logger {
    return this.shared.logger;
  }

  /** The partitions this worker runs now. */
  get held(): number[] {
    return [...this.cells.keys()].sort((a, b) => a - b);
  }

  /** The cells running now (the gauges read their queues). */
  get running(): PartitionCell[] {
    return [...this.cells.values()];
  }

  async start(): Promise<void> {
    if (!this.leases) {
      await this.take([0]);
      return;
    }
    await this.renew();
    this.timer = setInterval(() => {
      // One turn at a time: a slow start of a cell must not overlap the next turn.
      this.turn = this.turn.then(() => this.renew());
    }, LEASE_RENEW_EVERY_MS);
  }

  /** Takes no new jobs in any cell: the first step of draining the worker. */
  async stopIntake(): Promise<void> {
    await Promise.all(this.running.map((cell) => cell.stopIntake()));
  }

  /** Stops every cell and lets go of every lease, so that the other workers take them over at once. */
  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.turn;
    const cells = this.running;
    this.cells.clear();
    await Promise.all([...cells.map((cell) => cell.stop()), ...this.stopping]);
    await this.leases?.releaseAll().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not let the partition leases go; they expire'));
  }

  private async renew(): Promise<void> {
    if (this.closed || !this.leases) return;
    try {
      const { taken, released } = await this.leases.renew();
      if (released.length > 0) this.let(released);
      if (taken.length > 0) await this.take(taken);
      if (taken.length > 0 || released.length > 0) {
        this.logger.info({ taken, released, held: this.held }, 'partition leases changed');
        this.onChange(this.held);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not renew the partition leases; retrying');
    }
  }

  private async take(partitions: readonly number[]): Promise<void> {
    for (const partition of partitions) {
      if (this.cells.has(partition)) continue;
      const cell = new PartitionCell(partition, this.shared);
      this.cells.set(partition, cell);
      await cell.start();
    }
  }

  /** Stops the cells of partitions let go of, without waiting: the worker that takes one over may start meanwhile, which is safe. */
  private let(partitions: readonly number[]): void {
    for (const partition of partitions) {
      const cell = this.cells.get(partition);
      if (!cell) continue;
      this.cells.delete(partition);
      const stopped = cell
        .stopIntake()
        .then(() => cell.stop())
        .catch((error: Error) => this.logger.error({ err: error, partition }, 'a partition let go of failed to stop cleanly'))
        .finally(() => this.stopping.delete(stopped));
      this.stopping.add(stopped);
    }
  }
}
