// A piece of upkeep a worker runs now and then (trimming the stream, releasing parked deliveries):
// every `intervalMs`, at once again when a round says there is more, never two rounds at a time,
// and stopped between rounds.
import type { Logger } from '@herald/shared';
import type { Service } from './service';

export interface PeriodicTaskOptions {
  readonly name: string;
  /** One round; true when there is more to do at once. A round that throws is logged and waited out. */
  round(): Promise<boolean>;
  intervalMs: number;
  logger: Logger;
}

export class PeriodicTask implements Service {
  readonly name: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: PeriodicTaskOptions) {
    this.name = options.name;
  }

  async start(): Promise<void> {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.options
        .round()
        .catch((error: Error) => {
          this.options.logger.warn({ err: error.message, task: this.name }, 'worker upkeep failed; trying again later');
          return false;
        })
        .then((more) => this.schedule(more ? 0 : this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
