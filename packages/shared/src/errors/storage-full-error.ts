import { AppError } from './app-error';

/**
 * Redis holds as much as Herald lets new events take: its memory is past the high-water mark
 * (HERALD_REDIS_MEMORY_HIGH_WATER of maxmemory), or Redis itself refused a write (an OOM reply).
 * Nothing was accepted; deliveries of what was accepted before go on and free memory as they settle.
 */
export class StorageFullError extends AppError {
  constructor(readonly memory: { ratio: number; highWater: number } | 'redis_oom') {
    super(
      'storage_full',
      memory === 'redis_oom'
        ? 'Redis is out of memory (maxmemory) and refused the write'
        : `Redis memory is at ${percent(memory.ratio)} of maxmemory, past the high-water mark of ${percent(memory.highWater)} (HERALD_REDIS_MEMORY_HIGH_WATER): new events are refused while deliveries drain`,
    );
  }
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10} %`;
}
