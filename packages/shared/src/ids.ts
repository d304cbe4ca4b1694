import { randomBytes } from 'node:crypto';

const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolUsed = 0;

/**
 * Random bytes taken from a pool refilled 4 KiB at a time, each byte used once: one call into the
 * CSPRNG per ~450 ids instead of one per id (a call costs about 10 µs, per event on the API).
 */
function pooledRandomBytes(size: number): Buffer {
  if (randomPoolUsed + size > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPoolUsed = 0;
  }
  randomPoolUsed += size;
  return randomPool.subarray(randomPoolUsed - size, randomPoolUsed);
}

/** Time-ordered random ids: base36 milliseconds, then 12 random base64url characters. */
function timeOrderedId(prefix: string, nowMs: number): string {
  return `${prefix}${nowMs.toString(36)}${pooledRandomBytes(9).toString('base64url')}`;
}

export function newEventId(nowMs: number = Date.now()): string {
  return timeOrderedId('evt_', nowMs);
}

export function newWebhookId(nowMs: number = Date.now()): string {
  return timeOrderedId('wh_', nowMs);
}

/**
 * The id of an event a producer wrote straight into the stream without going through the API:
 * derived from the stream entry id, so a re-read entry gets the same id (and the same jobs).
 */
export function eventIdForStreamEntry(entryId: string, partition?: string): string {
  // Entry ids are unique within one stream only: with partitions the partition's name goes with it.
  return partition === undefined ? `evt_s${entryId}` : `evt_s${entryId}-${partition}`;
}

/**
 * One event's delivery to one webhook: `x-herald-delivery-id`, the dead letter id, and the id of
 * the delivery's job when it has one (a retry, a deferral). BullMQ refuses custom job ids holding
 * one ':', so Herald joins the ids with '.' (neither id can contain one).
 */
export function deliveryIdFor(eventId: string, webhookId: string): string {
  return `${eventId}.${webhookId}`;
}

/** Job id of the n-th replay of a delivery: a fresh job, the same delivery and webhook-id. */
export function replayJobId(deliveryId: string, replay: number): string {
  return `${deliveryId}.r${replay}`;
}
