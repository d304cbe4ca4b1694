// Partitions over a local Redis Cluster of 3 masters and 3 replicas (Debian's redis-server): the
// keys spread over every master, each script on one slot (the cluster refuses any other); a live
// `redis-cli --cluster reshard` of 500 slots, one partition's among them, and a master killed with
// its replica promoted, both under load, lose no accepted event.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  createWebhook,
  startHerald,
  startRedisCluster,
  uniquePrefix,
  waitFor,
  receiverPool,
  type Herald,
  type Receiver,
  type RunningRedisCluster,
} from '@herald/testing';
import { partitionPrefix } from '@herald/shared';

const run = promisify(execFile);
const MASTERS = 3;
const PARTITIONS = 16;
/** Slots `redis-cli --cluster reshard` moves: the lowest of the source master's. */
const RESHARD_SLOTS = 500;

let cluster: RunningRedisCluster;
let herald: Herald;
let hook: Receiver;
const receivers = receiverPool();
/** Each master's own connection, by master index (0 holds the lowest slots). */
let masters: Redis[];
/** The partition that the reshard moves: its slot is among the first RESHARD_SLOTS of master 0. */
let moved: number;

/** A prefix one of whose partitions hashes into the slots the reshard moves. */
async function prefixWithAMovedPartition(admin: Redis): Promise<{ prefix: string; partition: number }> {
  for (;;) {
    const prefix = uniquePrefix('cluster-part');
    for (let n = 0; n < PARTITIONS; n++) {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', `${partitionPrefix(prefix, n, PARTITIONS)}:events`));
      if (slot < RESHARD_SLOTS) return { prefix, partition: n };
    }
  }
}

beforeAll(async () => {
  cluster = await startRedisCluster(MASTERS, { replicasPerMaster: 1, nodeTimeoutMs: 1500 });
  masters = cluster.nodes.slice(0, MASTERS).map((node) => new Redis(node.url));
  const chosen = await prefixWithAMovedPartition(masters[0]!);
  moved = chosen.partition;
  herald = await startHerald('cluster-partitions', {
    redis: { url: cluster.url, cluster: true },
    prefix: chosen.prefix,
    partitions: PARTITIONS,
    workers: 2,
  });
  hook = await receivers.start();
}, 90_000);

afterAll(async () => {
  for (const master of masters ?? []) master.disconnect();
  await herald?.stop();
  await receivers.closeAll();
  await cluster?.stop();
});

/** 60 webhooks in 10 tenants, each taking every event of its tenant: a webhook in most partitions. */
const tenants = Array.from({ length: 10 }, (_, n) => `tenant-${n}`);
const webhooksOf = new Map<string, string[]>();

/** Publishes a batch with ids (idempotency keys), retrying while the API answers 503; anything else fails the test. */
async function publishThrough(tenant: string, keys: readonly string[]): Promise<string[]> {
  const events = keys.map((id) => ({ tenant, type: 'order.created', id, data: { id } }));
  return waitFor(
    async () => {
      const response = await herald.client.post('/v1/events/batch', { events });
      if (response.status === 202) return (response.body.events as { id: string }[]).map((e) => e.id);
      if (response.status !== 503) throw new Error(`publish answered ${response.status}: ${JSON.stringify(response.body)}`);
      return undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the API to accept the batch' },
  );
}

/** Every (event, webhook) delivery expected of the accepted events, and those not yet seen. */
function missing(accepted: ReadonlyMap<string, string>): string[] {
  const seen = new Set(hook.requests.map((request) => `${request.headers['webhook-id']} ${request.path}`));
  return [...accepted].flatMap(([eventId, tenant]) => (webhooksOf.get(tenant) ?? []).map((path) => `${eventId} ${path}`)).filter((pair) => !seen.has(pair));
}

it('spreads the partitions over every master and delivers each event once to each webhook', async () => {
  for (const tenant of tenants) {
    const paths: string[] = [];
    for (let n = 0; n < 6; n++) {
      const path = `${new URL(hook.url).pathname}/${tenant}/${n}`;
      await createWebhook(herald.client, { tenant, url: `${new URL(hook.url).origin}${path}` });
      paths.push(path);
    }
    webhooksOf.set(tenant, paths);
  }
  const accepted = new Map<string, string>();
  for (const tenant of tenants) {
    for (const id of await publishThrough(tenant, Array.from({ length: 20 }, (_, n) => `first-${n}`))) accepted.set(id, tenant);
  }
  await waitFor(() => missing(accepted).length === 0, { timeoutMs: 60_000, message: () => `every delivery (missing ${missing(accepted).length})` });
  await herald.waitForSettled(30_000);
  const pairs = hook.requests.map((request) => `${request.headers['webhook-id']} ${request.path}`);
  expect(new Set(pairs).size).toBe(pairs.length);

  // Each master holds keys of its partitions; every key has the tag of a partition or the global one.
  const tags = new RegExp(`^\\{${herald.prefix}(-p\\d{2})?\\}:`);
  for (const master of masters) {
    const [, keys] = await master.scan('0', 'COUNT', 10_000);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !tags.test(key))).toEqual([]);
  }
}, 120_000);

it('loses nothing while redis-cli reshards 500 slots, one partition among them, under load', async () => {
  const [from, to] = await Promise.all(masters.slice(0, 2).map((master) => master.call('CLUSTER', 'MYID') as Promise<string>));
  const movedSlot = Number(await masters[0]!.call('CLUSTER', 'KEYSLOT', `${partitionPrefix(herald.prefix, moved, PARTITIONS)}:events`));
  const accepted = new Map<string, string>();
  let publishing = true;
  const load = (async () => {
    for (let round = 0; publishing || round < 5; round++) {
      const tenant = tenants[round % tenants.length] as string;
      for (const id of await publishThrough(tenant, Array.from({ length: 10 }, (_, n) => `reshard-${round}-${n}`))) accepted.set(id, tenant);
    }
  })();
  await waitFor(() => accepted.size >= 50, { timeoutMs: 30_000, message: 'load under way' });
  const port = new URL(cluster.nodes[0]!.url).port;
  await run('redis-cli', ['--cluster', 'reshard', `127.0.0.1:${port}`, '--cluster-from', from as string, '--cluster-to', to as string, '--cluster-slots', String(RESHARD_SLOTS), '--cluster-yes'], {
    timeout: 120_000,
  });
  publishing = false;
  await load;
  // The partition's keys moved to master 1 with their slot.
  expect(Number(await masters[1]!.call('CLUSTER', 'COUNTKEYSINSLOT', String(movedSlot)))).toBeGreaterThan(0);

  await waitFor(() => missing(accepted).length === 0, { timeoutMs: 60_000, message: () => `every accepted event delivered (missing ${missing(accepted).length})` });
  await herald.waitForSettled(30_000);
}, 180_000);

it('keeps the other partitions delivering while one master fails over, and loses no accepted event', async () => {
  // A master that holds partitions but not the global keys (webhooks, leases): theirs pause, the others go on.
  const globalSlot = Number(await masters[0]!.call('CLUSTER', 'KEYSLOT', `{${herald.prefix}}:webhooks`));
  const ownerOf = async (slot: number) => {
    const ranges = (await masters[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
    const port = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2][1];
    return cluster.nodes.findIndex((node) => Number(new URL(node.url).port) === port);
  };
  const globalOwner = await ownerOf(globalSlot);
  const victim = [2, 1, 0].find((m) => m !== globalOwner) as number;
  const replica = new Redis(cluster.nodes[MASTERS + victim]!.url);
  const accepted = new Map<string, string>();
  for (const tenant of tenants) for (const id of await publishThrough(tenant, Array.from({ length: 5 }, (_, n) => `before-${n}`))) accepted.set(id, tenant);
  await waitFor(() => missing(accepted).length === 0, { timeoutMs: 30_000, message: 'the events before the failover delivered' });

  const killedAt = Date.now();
  cluster.nodes[victim]!.process.kill('SIGKILL');
  // One event a request, all at once: those of partitions on the masters alive are accepted meanwhile.
  const load = Promise.all(
    Array.from({ length: 30 }, async (_, n) => {
      const tenant = tenants[n % tenants.length] as string;
      const [id] = await publishThrough(tenant, [`during-${n}`]);
      accepted.set(id as string, tenant);
    }),
  );
  await waitFor(async () => (await replica.info('replication')).includes('role:master'), { timeoutMs: 30_000, intervalMs: 100, message: 'the replica promoted' });
  const promotedAt = Date.now();
  replica.disconnect();
  await load;

  // Webhooks whose partitions live on the other masters kept receiving while the victim's slots had no master.
  const between = hook.requests.filter((request) => request.receivedAt > killedAt && request.receivedAt < promotedAt);
  expect(between.length).toBeGreaterThan(0);

  await waitFor(() => missing(accepted).length === 0, { timeoutMs: 60_000, message: () => `every accepted event delivered (missing ${missing(accepted).length})` });
  await herald.waitForSettled(30_000);
}, 180_000);
