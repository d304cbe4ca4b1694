// Partitions, measured: the same drain — events of 10 tenants, each to its tenant's 6 webhooks (60
// in all) — on one Redis with one partition, and on a local Redis Cluster of 3 masters and 3
// replicas with 16 partitions. Figures: each master's share of the Redis commands, commands per
// delivery summed over the masters against one Redis, and Redis CPU per delivery on the masters
// (so deliveries/s one master core carries). run.mjs passes in its harness.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';

const HASH_SLOTS = 16_384;
const TENANTS = 10;
const WEBHOOKS_PER_TENANT = 6;

/** Starts `masters` cluster-enabled redis-servers with one replica each; their ports and processes. */
async function startCluster(h, masters) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-cluster-'));
  const nodes = [];
  for (let i = 0; i < masters * 2; i++) {
    const port = await h.freePort();
    const process = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000',
    ], { stdio: 'ignore' });
    const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: true });
    admin.on('error', () => undefined);
    nodes.push({ port, process, admin });
  }
  for (const node of nodes) await h.until(async () => (await node.admin.ping()) === 'PONG', 10_000, `redis-server :${node.port}`);
  for (let m = 0; m < masters; m++) {
    await nodes[m].admin.call('CLUSTER', 'ADDSLOTSRANGE', String(Math.floor((HASH_SLOTS * m) / masters)), String(Math.floor((HASH_SLOTS * (m + 1)) / masters) - 1));
  }
  for (const node of nodes.slice(1)) await nodes[0].admin.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
  await h.until(async () => {
    const infos = await Promise.all(nodes.map((node) => node.admin.call('CLUSTER', 'INFO')));
    return infos.every((info) => info.includes(`cluster_known_nodes:${nodes.length}`));
  }, 20_000, 'the cluster nodes to meet');
  for (let r = masters; r < nodes.length; r++) {
    await nodes[r].admin.call('CLUSTER', 'REPLICATE', await nodes[r - masters].admin.call('CLUSTER', 'MYID'));
  }
  await h.until(async () => {
    const infos = await Promise.all(nodes.map((node) => node.admin.call('CLUSTER', 'INFO')));
    const links = await Promise.all(nodes.slice(masters).map((node) => node.admin.info('replication')));
    return infos.every((info) => info.includes('cluster_state:ok')) && links.every((info) => info.includes('master_link_status:up'));
  }, 30_000, 'cluster_state:ok with the replicas in sync');
  return {
    url: nodes.map((node) => `redis://127.0.0.1:${node.port}`).join(','),
    masters: nodes.slice(0, masters),
    async stop() {
      for (const node of nodes) {
        node.admin.disconnect();
        node.process.kill('SIGTERM');
      }
    },
  };
}

/** Commands run so far by one Redis by name (INFO commandstats, those inside scripts included; INFO itself not). */
async function commandsByName(h, admin) {
  const { info: _info, ...counts } = await h.commandCounts(admin);
  return counts;
}
const total = (counts) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/**
 * Makes the 60 webhooks through an API on `env` (then stops it), writes `events` events of the 10
 * tenants into the streams (`streamOf(tenant, n)` says which), starts 2 workers and times the drain.
 */
async function drain(h, { env, events, writer, streamOf, counted }) {
  const { api, request, env: workerEnv } = await h.startApi({ webhooks: 0, extraEnv: env });
  for (let t = 0; t < TENANTS; t++) {
    for (let w = 0; w < WEBHOOKS_PER_TENANT; w++) {
      const created = await request('POST', '/v1/webhooks', { tenant: `tenant-${t}`, url: `${h.TARGET}?t=${t}&w=${w}` });
      if (created.status !== 201) throw new Error(`webhook: ${created.status} ${JSON.stringify(created.body)}`);
    }
  }
  await h.stop([api]);
  for (let i = 0; i < events; i += 1000) {
    const byStream = new Map();
    for (let n = i; n < Math.min(events, i + 1000); n++) {
      const tenant = `tenant-${n % TENANTS}`;
      const stream = streamOf(tenant, n);
      if (!byStream.has(stream)) byStream.set(stream, []);
      byStream.get(stream).push(JSON.stringify({ type: 'bench.event', tenant, data: { n } }));
    }
    // One pipeline per stream: on a cluster a pipeline goes to one node.
    await Promise.all([...byStream].map(async ([stream, jsons]) => {
      const pipeline = writer.pipeline();
      for (const json of jsons) pipeline.xadd(stream, '*', 'event', json);
      const failed = ((await pipeline.exec()) ?? []).find(([error]) => error);
      if (failed) throw new Error(`writing the events into ${stream}: ${failed[0].message}`);
    }));
  }
  const deliveries = events * WEBHOOKS_PER_TENANT;
  await h.resetReceiver(h.receiver);
  const before = await Promise.all(counted.map(async ({ admin, pid }) => ({ byName: await commandsByName(h, admin), cpu: h.cpuSeconds(pid) })));
  const workers = await h.startWorkers(2, workerEnv);
  const final = await h.waitForDeliveries(h.receiver, deliveries, 300_000).catch((error) => {
    throw new Error(`${error.message}\n--- the workers' output ---\n${workers.map((w) => w.output().slice(-3000)).join('\n---\n')}`);
  });
  const after = await Promise.all(counted.map(async ({ admin, pid }) => ({ byName: await commandsByName(h, admin), cpu: h.cpuSeconds(pid) })));
  const workerCpu = workers.reduce((sum, worker) => sum + h.cpuSeconds(worker.pid), 0);
  await h.stop(workers);
  const perNode = counted.map((_, i) => ({ commands: total(after[i].byName) - total(before[i].byName), cpuSeconds: Math.round((after[i].cpu - before[i].cpu) * 100) / 100 }));
  // Per delivery, by command, over every node: where the commands go.
  const byName = {};
  counted.forEach((_, i) => {
    for (const [name, calls] of Object.entries(after[i].byName)) byName[name] = (byName[name] ?? 0) + calls - (before[i].byName[name] ?? 0);
  });
  const redisCommandsByType = Object.fromEntries(
    Object.entries(byName).map(([name, calls]) => [name, Math.round((calls / deliveries) * 100) / 100]).filter(([, n]) => n >= 0.05).sort((a, b) => b[1] - a[1]),
  );
  const commands = perNode.reduce((sum, node) => sum + node.commands, 0);
  const redisCpu = perNode.reduce((sum, node) => sum + node.cpuSeconds, 0);
  return {
    deliveries,
    deliveriesPerSecond: Math.round(deliveries / ((final.lastAt - final.firstAt) / 1000)),
    redisCommandsPerDelivery: Math.round((commands / deliveries) * 100) / 100,
    redisCpuMicrosPerDelivery: Math.round((redisCpu / deliveries) * 1e6 * 10) / 10,
    /** Deliveries one Redis core carries at that cost: N masters ≈ N × this. */
    deliveriesPerRedisCoreSecond: redisCpu > 0 ? Math.round(deliveries / redisCpu) : null,
    workersCpuSeconds: Math.round(workerCpu * 10) / 10,
    redisCommandsByType,
    perNode,
  };
}

/** The drain on the bench's own Redis, one partition. */
export async function singleRedisDrain(h, { events }) {
  const prefix = `benchp${Date.now().toString(36)}`;
  return drain(h, {
    env: { HERALD_PREFIX: prefix, HERALD_PARTITIONS: '1' },
    events,
    writer: h.redis,
    streamOf: () => `${prefix}:events`,
    counted: [{ admin: h.redis, pid: h.redisPid }],
  });
}

/** The drain on a local cluster of `masters` masters with a replica each, `partitions` partitions. */
export async function clusterDrain(h, { events, masters = 3, partitions = 16 }) {
  const { PartitionLayout } = h.shared;
  const cluster = await startCluster(h, masters);
  const seeds = cluster.url.split(',').map((url) => ({ host: '127.0.0.1', port: Number(new URL(url).port) }));
  const writer = new Cluster(seeds, { enableAutoPipelining: false });
  writer.on('error', () => undefined);
  try {
    // The default prefix, as an installation on a fresh cluster has it.
    const prefix = 'herald';
    const layout = new PartitionLayout(prefix, partitions);
    const result = await drain(h, {
      env: { REDIS_URL: cluster.url, HERALD_REDIS_CLUSTER: 'true', HERALD_PREFIX: prefix, HERALD_PARTITIONS: String(partitions) },
      events,
      writer,
      // As the API places an event without an id: by its tenant and a generated key.
      streamOf: (tenant, n) => layout.keys(layout.ofIngest(tenant, `bench-${n}`)).eventsStream,
      counted: cluster.masters.map((node) => ({ admin: node.admin, pid: node.process.pid })),
    });
    const mean = result.perNode.reduce((sum, node) => sum + node.commands, 0) / result.perNode.length;
    return {
      ...result,
      masters,
      partitions,
      /** Each master's commands as a share of the mean: within ±35 % is the goal. */
      commandShareOfMean: result.perNode.map((node) => Math.round((node.commands / mean) * 100) / 100),
    };
  } finally {
    writer.disconnect();
    await cluster.stop();
  }
}
