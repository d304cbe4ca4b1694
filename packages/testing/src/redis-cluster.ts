// Starts a local Redis Cluster of real redis-server processes (the Debian package), masters only.
import { Redis } from 'ioredis';
import { startRedisServer, type RunningRedis } from './redis-server';
import { waitFor } from './wait';

const HASH_SLOTS = 16_384;

export interface RunningRedisCluster {
  /** Comma-separated seed URLs, as REDIS_URL takes them with HERALD_REDIS_CLUSTER=true. */
  url: string;
  nodes: RunningRedis[];
  stop(): Promise<void>;
}

/** Starts `masters` cluster-enabled servers, splits the 16,384 slots evenly, and waits for `cluster_state:ok`. */
export async function startRedisCluster(masters = 3): Promise<RunningRedisCluster> {
  const nodes = await Promise.all(
    Array.from({ length: masters }, () =>
      startRedisServer({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }),
    ),
  );
  const admins = nodes.map((node) => new Redis(node.url, { maxRetriesPerRequest: 1 }));
  try {
    await Promise.all(
      admins.map((admin, i) =>
        admin.call('CLUSTER', 'ADDSLOTSRANGE', String(Math.floor((HASH_SLOTS * i) / masters)), String(Math.floor((HASH_SLOTS * (i + 1)) / masters) - 1)),
      ),
    );
    for (const node of nodes.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
    await waitFor(
      async () => {
        const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO') as Promise<string>));
        return infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`));
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `a ${masters}-master cluster to report cluster_state:ok` },
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return {
    url: nodes.map((node) => node.url).join(','),
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
