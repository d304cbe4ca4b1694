// Parking: a webhook's deliveries that wait while its circuit is open, one small stream entry each
// (no job, no copy of the event: its payload is stored once, payloads/), taken out oldest first as
// the circuit allows. The Lua side is parking.lua and the scripts beside it.
import { join } from 'node:path';
import type { RedisKeys } from '../keys';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';
import type { StoredEvent } from '../schemas/event';

const PARK = new LuaScript(join(__dirname, 'park-delivery-3.lua'));
const TAKE = new LuaScript(join(__dirname, 'take-parked-4.lua'));
const RELEASE = new LuaScript(join(__dirname, 'release-parked-2.lua'));

/** A delivery as it waits parked. */
export interface ParkedDelivery {
  /** Its entry in the webhook's parking. */
  entryId: string;
  webhookId: string;
  eventId: string;
  /** Attempts its run made before it was parked. */
  attemptsBefore: number;
  /** 0 for the first run; n for the n-th replay from dead letters. */
  replay: number;
}

export class ParkingLot {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Parks one delivery that waited as a job: its reference to its event's payload passes to the
   * parking, or, for a job that carried its event itself (`inline`), is taken now. False, with
   * nothing written, when the webhook already has `maxBacklog` parked.
   */
  async park(delivery: { webhookId: string; event: StoredEvent; attemptsBefore: number; replay: number; maxBacklog: number; inline: boolean }): Promise<boolean> {
    const { webhookId, event } = delivery;
    const reply = await PARK.run(
      this.redis,
      [this.keys.parked(webhookId), this.keys.parkedWebhooks, this.keys.payload(event.id)],
      [webhookId, event.id, delivery.attemptsBefore, delivery.replay, delivery.maxBacklog, JSON.stringify(event), delivery.inline ? 1 : 0],
    );
    return Number(reply) === 1;
  }

  /** The webhooks with parked deliveries. */
  async webhooks(): Promise<string[]> {
    return this.redis.smembers(this.keys.parkedWebhooks);
  }

  /** How many deliveries a webhook has parked. */
  count(webhookId: string): Promise<number> {
    return this.redis.xlen(this.keys.parked(webhookId));
  }

  /**
   * The oldest parked deliveries that may go now (take-parked-4.lua): up to `max` while the circuit
   * is closed, the probe alone once its cool-down is over (and no other in the `probeGateMs` before,
   * the time its job takes to reach admission and become the probe), none while it waits. They stay
   * parked until `release`d.
   */
  async take(webhookId: string, options: { max: number; breakerEnabled: boolean; probeGateMs: number }): Promise<ParkedDelivery[]> {
    const keys = [this.keys.parked(webhookId), this.keys.parkedWebhooks, this.keys.circuit(webhookId), this.keys.parkedProbe(webhookId)];
    const reply = (await TAKE.run(this.redis, keys, [webhookId, options.max, options.breakerEnabled ? 1 : 0, options.probeGateMs])) as string[][];
    return reply.map(([entryId, eventId, attemptsBefore, replay]) => ({
      entryId: String(entryId),
      webhookId,
      eventId: String(eventId),
      attemptsBefore: Number(attemptsBefore),
      replay: Number(replay),
    }));
  }

  /** Takes deliveries out of the parking once they are on their way; returns how many are left. */
  async release(webhookId: string, entryIds: readonly string[]): Promise<number> {
    if (entryIds.length === 0) return this.count(webhookId);
    return Number(await RELEASE.run(this.redis, [this.keys.parked(webhookId), this.keys.parkedWebhooks], [webhookId, ...entryIds]));
  }
}
