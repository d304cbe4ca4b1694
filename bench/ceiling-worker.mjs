// The ceiling Herald is compared with: a bare BullMQ worker whose job is one undici POST to the
// same receiver, same concurrency. Jobs are pre-added by the harness.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';

const { REDIS_URL, QUEUE, TARGET, CONCURRENCY } = process.env;
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const agent = new Agent({ keepAliveTimeout: 10_000 });
const worker = new Worker(
  QUEUE,
  async (job) => {
    const response = await request(TARGET, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': job.id },
      body: JSON.stringify(job.data),
    });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}`);
  },
  { connection, concurrency: Number(CONCURRENCY), removeOnComplete: { count: 1000 } },
);
await worker.waitUntilReady();
process.send?.({ type: 'ready' });
process.on('SIGTERM', async () => {
  await worker.close();
  await agent.close();
  connection.disconnect();
  process.exit(0);
});
