// Redis Cluster failover: the master holding Herald's slot dies, its replica takes over, and
// Herald (API and workers, cluster clients) carries on delivering without a restart.
import { Redis } from 'ioredis';
import {
  createWebhook,
  publish,
  receiverPool,
  startHerald,
  startRedisCluster,
  waitFor,
  type Herald,
  type RunningRedisCluster,
} from '@herald/testing';

const MASTERS = 3;
let cluster: RunningRedisCluster;
let herald: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  cluster = await startRedisCluster(MASTERS, { replicasPerMaster: 1, nodeTimeoutMs: 1500 });
  herald = await startHerald('cluster-failover', { redis: { url: cluster.url, cluster: true }, prefix: '{herald}', workers: 2 });
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
  await cluster?.stop();
});

/** Publishes through the API, retrying while it answers 503 (Redis failing over). */
async function publishThroughFailover(event: Record<string, unknown>): Promise<string> {
  return waitFor(
    async () => {
      const response = await herald.client.post('/v1/events', event);
      if (response.status === 202) return response.body.id as string;
      if (response.status !== 503) throw new Error(`publish answered ${response.status}`);
      return undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: 'the API to accept an event again' },
  );
}

it('keeps delivering after the master holding {herald} fails and its replica takes over', async () => {
  const hook = await receivers.start();
  await createWebhook(herald.client, { tenant: 'acme', url: hook.url });
  const before = await Promise.all(Array.from({ length: 20 }, (_, n) => publish(herald.client, { tenant: 'acme', type: 'order.created', data: { n } })));
  await hook.waitForRequests(before.length);

  const probe = new Redis(cluster.nodes[0]!.url);
  const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', '{herald}'));
  probe.disconnect();
  const owner = Math.floor((slot * MASTERS) / 16_384);
  const replica = new Redis(cluster.nodes[MASTERS + owner]!.url);
  cluster.nodes[owner]!.process.kill('SIGKILL');

  await waitFor(async () => (await replica.info('replication')).includes('role:master'), {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: 'the replica to be promoted',
  });
  replica.disconnect();

  const after: string[] = [];
  for (let n = 0; n < 20; n++) after.push(await publishThroughFailover({ tenant: 'acme', type: 'order.created', data: { n: 100 + n } }));
  await waitFor(
    () => {
      const delivered = new Set(hook.requests.map((request) => request.headers['webhook-id']));
      return after.every((id) => delivered.has(id));
    },
    { timeoutMs: 30_000, message: 'the events published after the failover to be delivered' },
  );
  for (const worker of herald.workers) expect((await fetch(`${worker.metricsUrl}/readyz`)).status).toBe(200);
  expect((await fetch(`${herald.api.url}/readyz`)).status).toBe(200);
}, 90_000);
