// With partitions, the tenants whose events are ingested into their ordered partition (they have
// FIFO webhooks, placed there): the global set, read again at most once a second.
import type { RedisClient, RedisKeys } from '@herald/shared';

/** How long the set read is used before it is read again, in ms. */
const FRESH_FOR_MS = 1000;

export class OrderedTenants {
  private tenants: ReadonlySet<string> = new Set();
  private readAtMs = -Infinity;
  private reading: Promise<ReadonlySet<string>> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** The tenants with FIFO webhooks, as of at most a second ago. */
  async current(nowMs: number = Date.now()): Promise<ReadonlySet<string>> {
    if (nowMs - this.readAtMs < FRESH_FOR_MS) return this.tenants;
    this.reading ??= this.redis
      .smembers(this.keys.fifoTenants)
      .then(
        (members) => {
          this.tenants = new Set(members);
          this.readAtMs = nowMs;
          return this.tenants;
        },
        // The global keys' master away (failing over): ingest goes on with the set last read.
        () => this.tenants,
      )
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
