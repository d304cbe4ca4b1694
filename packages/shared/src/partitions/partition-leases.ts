// A worker's share of the partitions, by leases in Redis that it renews (lease-partitions-2.lua).
// Workers share the partitions out among those alive: one joining, draining or dead changes every
// share within a lease's lifetime.
import { join } from 'node:path';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import type { PartitionLayout } from './partition-layout';

const LEASE = new LuaScript(join(__dirname, 'lease-partitions-2.lua'));

export interface LeaseChanges {
  /** Every partition held after the turn. */
  held: number[];
  taken: number[];
  released: number[];
}

export class PartitionLeases {
  private holding = new Set<number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly layout: PartitionLayout,
    /** This worker's name, unique among workers alive. */
    readonly worker: string,
    /** How long a lease holds without renewal; renew well within it. */
    private readonly ttlMs: number,
  ) {}

  /** Renews, takes and lets go of leases, as the workers alive now share them out. */
  async renew(nowMs: number = Date.now()): Promise<LeaseChanges> {
    return this.turn(nowMs, false);
  }

  /** Lets go of every lease (a draining worker), so that others take them at their next turn. */
  async releaseAll(nowMs: number = Date.now()): Promise<LeaseChanges> {
    return this.turn(nowMs, true);
  }

  private async turn(nowMs: number, leaving: boolean): Promise<LeaseChanges> {
    const keys = this.layout.global;
    const reply = (await LEASE.run(this.redis, [keys.partitionLeases, keys.partitionWorkers], [this.worker, nowMs, this.ttlMs, this.layout.count, leaving ? '1' : '0'])) as number[];
    const held = reply.map(Number).sort((a, b) => a - b);
    const now = new Set(held);
    const changes = { held, taken: held.filter((p) => !this.holding.has(p)), released: [...this.holding].filter((p) => !now.has(p)) };
    this.holding = now;
    return changes;
  }
}
