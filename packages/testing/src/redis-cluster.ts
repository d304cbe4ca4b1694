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

export interface RedisClusterOptions {
  /** Replicas per master (each takes over if its master fails). */
  replicasPerMaster?: number;
  /** How long a node may be unreachable before it is considered failed, in ms. */
  nodeTimeoutMs?: number;
}

/**
 * Starts `masters` cluster-enabled servers (plus their replicas), splits the 16,384 slots evenly
 * among the masters, and waits for `cluster_state:ok` with every replica in sync.
 */
export async function startRedisCluster(masters = 3, options: RedisClusterOptions = {}): Promise<RunningRedisCluster> {
  const replicas = options.replicasPerMaster ?? 0;
  const nodeArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 5000)];
  const nodes = await Promise.all(Array.from({ length: masters * (1 + replicas) }, () => startRedisServer({ extraArgs: nodeArgs })));
  const admins = nodes.map((node) => new Redis(node.url, { maxRetriesPerRequest: 1 }));
  try {
    await Promise.all(
      admins.slice(0, masters).map((admin, i) =>
        admin.call('CLUSTER', 'ADDSLOTSRANGE', String(Math.floor((HASH_SLOTS * i) / masters)), String(Math.floor((HASH_SLOTS * (i + 1)) / masters) - 1)),
      ),
    );
    for (const node of nodes.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
    await waitFor(
      async () => {
        const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO') as Promise<string>));
        return infos.every((info) => info.includes(`cluster_known_nodes:${nodes.length}`));
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `all ${nodes.length} nodes to know each other` },
    );
    // Replica r of master m is node masters * (1 + r) + m.
    const masterIds = await Promise.all(admins.slice(0, masters).map((admin) => admin.call('CLUSTER', 'MYID') as Promise<string>));
    for (let i = masters; i < nodes.length; i++) await admins[i]!.call('CLUSTER', 'REPLICATE', masterIds[i % masters]!);
    await waitFor(
      async () => {
        const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO') as Promise<string>));
        const links = await Promise.all(admins.slice(masters).map((admin) => admin.info('replication')));
        return infos.every((info) => info.includes('cluster_state:ok')) && links.every((info) => info.includes('master_link_status:up'));
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `a ${masters}-master cluster to report cluster_state:ok, replicas in sync` },
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
