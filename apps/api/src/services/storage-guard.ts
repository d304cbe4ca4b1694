// Refuses new events while Redis's memory is past the high-water mark, so that what was accepted
// before still has room to be delivered, retried and settled. The figure is read once a second
// (INFO memory), not per request.
import { StorageFullError, redisMemoryRatio, type Logger, type RedisClient } from '@herald/shared';

export interface StorageGuardOptions {
  /** The share of maxmemory past which new events are refused (HERALD_REDIS_MEMORY_HIGH_WATER); 1 refuses only what Redis does. */
  highWater: number;
  /** How often Redis's memory is read, in ms. */
  intervalMs: number;
}

export class StorageGuard {
  private ratio = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { redis: RedisClient; logger: Logger },
    private readonly options: StorageGuardOptions,
  ) {}

  async start(): Promise<void> {
    await this.read();
    this.timer = setInterval(() => void this.read(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Throws StorageFullError while Redis's memory is at or past the high-water mark. */
  assertRoom(): void {
    if (this.options.highWater < 1 && this.ratio >= this.options.highWater) {
      throw new StorageFullError({ ratio: this.ratio, highWater: this.options.highWater });
    }
  }

  private async read(): Promise<void> {
    try {
      const before = this.ratio;
      this.ratio = await redisMemoryRatio(this.deps.redis);
      const { highWater } = this.options;
      if (before < highWater && this.ratio >= highWater) this.deps.logger.warn({ ratio: this.ratio, highWater }, 'Redis memory past the high-water mark: new events are refused');
      else if (before >= highWater && this.ratio < highWater) this.deps.logger.info({ ratio: this.ratio, highWater }, 'Redis memory below the high-water mark again: events are accepted');
    } catch (error) {
      // Unknown: the last reading stands (Redis unreachable answers 503 by itself).
      this.deps.logger.debug({ err: (error as Error).message }, 'could not read Redis memory');
    }
  }
}
