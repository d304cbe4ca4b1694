// Keeps a partition's FIFO lines moving: sends out the heads of lines that were waiting (for earlier
// entries to be planned, or for the pump after an operator's skip or replay), often; now and then
// sends out again heads whose jobs were lost (a worker died between a line moving and its next job
// being made), forgets webhooks whose lines are gone, and reads the figures the gauges show.
import type { FifoLines, Logger } from '@herald/shared';
import { PeriodicTask } from '../periodic-task';
import type { Service } from '../service';
import type { FifoDispatcher } from './fifo-dispatcher';
import type { FifoGauges } from './fifo-gauges';

export interface FifoPumpOptions {
  /** How often waiting lines are looked at, in ms. */
  pumpEveryMs: number;
  /** How often lost heads are looked for (and the gauges read), in ms. */
  recoverEveryMs: number;
  /** How long a head is out, its job gone or finished, before it is sent again, in ms. */
  staleMs: number;
}

/** Waiting lines looked at per round. */
const PUMP_BATCH = 500;

export class FifoPump implements Service {
  readonly name = 'fifo-pump';
  private readonly pumping: PeriodicTask;
  private readonly recovering: PeriodicTask;

  constructor(
    private readonly deps: { lines: FifoLines; dispatcher: FifoDispatcher; gauges: FifoGauges; partition: number; logger: Logger },
    private readonly options: FifoPumpOptions,
  ) {
    this.pumping = new PeriodicTask({ name: 'fifo-pump', intervalMs: options.pumpEveryMs, logger: deps.logger, round: () => this.pump() });
    this.recovering = new PeriodicTask({ name: 'fifo-recovery', intervalMs: options.recoverEveryMs, logger: deps.logger, round: () => this.recover() });
  }

  async start(): Promise<void> {
    await this.pumping.start();
    await this.recovering.start();
  }

  async stop(): Promise<void> {
    await this.pumping.stop();
    await this.recovering.stop();
    this.deps.gauges.forget(this.deps.partition);
  }

  /** One round; true when a full batch went (there may be more). */
  async pump(): Promise<boolean> {
    const heads = await this.deps.lines.pump(PUMP_BATCH);
    await this.deps.dispatcher.dispatch(heads);
    return heads.length >= PUMP_BATCH;
  }

  async recover(): Promise<boolean> {
    const { heads, figures } = await this.deps.lines.recover(this.options.staleMs);
    if (heads.length > 0) this.deps.logger.warn({ heads: heads.length }, 'FIFO heads whose jobs were lost are sent again');
    await this.deps.dispatcher.dispatch(heads);
    this.deps.gauges.set(this.deps.partition, figures);
    return false;
  }
}
