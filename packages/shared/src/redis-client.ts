// The connection type every Herald module takes: one Redis server, or a Redis Cluster.
import type { Cluster, Redis } from 'ioredis';

/** A single-node connection or a cluster client; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one URL, or (with `cluster`) comma-separated seed node URLs of a Redis Cluster. */
export interface RedisTarget {
  readonly url: string;
  readonly cluster: boolean;
}
