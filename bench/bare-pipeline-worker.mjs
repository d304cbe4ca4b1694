// Herald's data flow with nothing of Herald in it: a consumer of the `fanout` group that turns each
// stream entry into one BullMQ job (addBulk, deterministic job id, then XACK), and a BullMQ worker
// whose job is one undici POST. No validation, signing, attempt log, metrics or policies: what is
// left is the cost of the architecture SPEC §2 prescribes, the floor under Herald's own figures.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';

const { REDIS_URL, PREFIX, TARGET, CONCURRENCY } = process.env;
const STREAM = `${PREFIX}:events`;
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null, enableAutoPipelining: false });
const blocking = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue('deliveries', { connection, prefix: PREFIX });
const agent = new Agent({ keepAliveTimeout: 10_000 });
const consumer = `bare-${process.pid}`;
await connection.xgroup('CREATE', STREAM, 'fanout', '0', 'MKSTREAM').catch(() => undefined);

let stopping = false;
const fanout = (async () => {
  while (!stopping) {
    const reply = await blocking.xreadgroup('GROUP', 'fanout', consumer, 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', STREAM, '>');
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    await queue.addBulk(entries.map(([id, fields]) => ({ name: 'deliver', data: { id, event: fields[1] }, opts: { jobId: `evt_${id.replace('-', '_')}.wh_1` } })));
    await connection.xack(STREAM, 'fanout', ...entries.map(([id]) => id));
  }
})();
const worker = new Worker(
  'deliveries',
  async (job) => {
    const response = await request(TARGET, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': job.data.id },
      body: job.data.event,
    });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}`);
  },
  { connection, prefix: PREFIX, concurrency: Number(CONCURRENCY), removeOnComplete: { count: 1000 } },
);
await worker.waitUntilReady();
process.send?.({ type: 'ready' });
process.on('SIGTERM', async () => {
  stopping = true;
  await worker.close();
  await fanout.catch(() => undefined);
  await agent.close();
  connection.disconnect();
  blocking.disconnect();
  process.exit(0);
});
