// An installation keeps the number of partitions it was created with: every webhook's keys live in
// the partition its id hashes to, so another count would look for them in the wrong place.
import { ConfigError } from '../errors/config-error';
import type { RedisClient } from '../redis-client';
import { redisKeys } from '../keys';
import type { PartitionLayout } from './partition-layout';

export class PartitionCountError extends ConfigError {}

/**
 * Records the layout's partition count on first start; afterwards refuses (PartitionCountError,
 * naming HERALD_PARTITIONS) a count other than the recorded one. An installation made before
 * partitions existed has webhooks under the plain prefix and no count: it was made with one.
 */
export async function ensurePartitionCount(redis: RedisClient, layout: PartitionLayout): Promise<void> {
  const key = layout.global.partitionCount;
  let recorded = await redis.get(key);
  if (recorded === null) {
    const unpartitioned = redisKeys(layout.prefix);
    // One key at a time: on a cluster the two are in different slots.
    const older = layout.partitioned && ((await redis.exists(unpartitioned.webhooks)) > 0 || (await redis.exists(unpartitioned.eventsStream)) > 0);
    if (older) recorded = '1';
    else {
      await redis.set(key, String(layout.count), 'NX');
      recorded = await redis.get(key);
    }
  }
  if (recorded !== String(layout.count)) {
    throw new PartitionCountError([
      {
        variable: 'HERALD_PARTITIONS',
        problem:
          `is ${layout.count}, but the installation under prefix "${layout.prefix}" was created with ${recorded} partition(s): ` +
          `every webhook's keys live in the partition its id hashes to, so the count cannot change on a live installation ` +
          `(set HERALD_PARTITIONS=${recorded}, or start a new installation under another prefix and move producers over once this one has drained)`,
      },
    ]);
  }
}
