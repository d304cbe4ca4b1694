// First throughput figure for the core pipeline (issue 2): N events through the API to one loopback
// receiver with W worker processes. Prints deliveries/s and publish→delivery p50/p99.
// Usage: node bench/core-throughput.mjs [--events 10000] [--workers 2] [--rate 0 (as fast as possible) | events/s]
// Needs `pnpm build` first and redis-server on PATH. Every process runs on this machine.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '50' },
  },
});
const EVENTS = Number(values.events);
const WORKERS = Number(values.workers);
const RATE = Number(values.rate);
const BATCH = Number(values.batch);
const TOKEN = 'bench-admin-token-0123456789';

const children = [];
function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  children.push(child);
  return { child, output: () => out };
}
async function until(fn, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
const redisPort = await freePort();
start('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', dir]);
const REDIS_URL = `redis://127.0.0.1:${redisPort}`;
const apiPort = await freePort();
const env = { REDIS_URL, HERALD_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HERALD_ALLOW_PRIVATE_TARGETS: 'true' };

const latencies = [];
let delivered = 0;
let firstAt = 0;
let lastAt = 0;
const seen = new Set();
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    const body = JSON.parse(Buffer.concat(chunks).toString());
    if (!seen.has(body.id)) {
      seen.add(body.id);
      delivered += 1;
      latencies.push(now - body.data.sentAt);
      firstAt ||= now;
      lastAt = now;
    }
    res.end('ok');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

try {
  await until(async () => (await fetch('http://x').catch(() => null), true), 100, 'nothing');
  start('node', [join(root, 'apps/api/dist/index.js')], { ...env, HERALD_API_PORT: String(apiPort), HERALD_API_HOST: '127.0.0.1' });
  const api = `http://127.0.0.1:${apiPort}`;
  await until(async () => (await fetch(`${api}/readyz`)).ok, 15000, 'the API');
  for (let i = 0; i < WORKERS; i++) {
    // e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the workers.
    const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const worker = start('node', [...nodeArgs, join(root, 'apps/worker/dist/index.js')], {
      ...env,
      HERALD_METRICS_PORT: String(await freePort()),
      HERALD_WORKER_CONCURRENCY: values.concurrency,
    });
    worker.child.once('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`worker exited with ${code}:\n${worker.output()}`);
    });
  }
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const created = await fetch(`${api}/v1/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiverUrl }) });
  if (created.status !== 201) throw new Error(await created.text());
  // Let the workers start (their readiness is not exposed here beyond the metrics port).
  await new Promise((r) => setTimeout(r, 1500));

  const publishStart = Date.now();
  const batches = Math.ceil(EVENTS / BATCH);
  const publishBatch = async (b) => {
    const size = Math.min(BATCH, EVENTS - b * BATCH);
    const sentAt = Date.now();
    const events = Array.from({ length: size }, (_, i) => ({ type: 'bench.event', data: { sentAt, n: b * BATCH + i } }));
    const response = await fetch(`${api}/v1/events/batch`, { method: 'POST', headers, body: JSON.stringify({ events }) });
    if (response.status !== 202) throw new Error(`publish failed: ${response.status}`);
  };
  if (RATE > 0) {
    const interval = (BATCH / RATE) * 1000;
    const pending = [];
    for (let b = 0; b < batches; b++) {
      const due = publishStart + b * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(publishBatch(b));
    }
    await Promise.all(pending);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < batches) await publishBatch(next++);
    }));
  }
  const publishEnd = Date.now();
  await until(async () => delivered >= EVENTS, 300_000, `${EVENTS} deliveries`);
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  const result = {
    events: EVENTS,
    workers: WORKERS,
    concurrencyPerWorker: Number(values.concurrency),
    offeredRate: RATE || 'max',
    publishSeconds: (publishEnd - publishStart) / 1000,
    deliveriesPerSecond: Math.round(EVENTS / ((lastAt - publishStart) / 1000)),
    steadyDeliveriesPerSecond: Math.round((EVENTS - 1) / ((lastAt - firstAt) / 1000)),
    latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: latencies.at(-1) },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  // Herald first (workers drain against a live Redis), then redis-server.
  const [redis, ...herald] = children;
  const exited = (c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null);
  for (const child of herald) child.kill('SIGTERM');
  await Promise.all(herald.map(exited));
  redis.kill('SIGTERM');
  await exited(redis);
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
