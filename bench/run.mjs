// `pnpm bench`: Herald's throughput and latency against a bare BullMQ + undici worker, measured in
// the same run on the same machine. Starts its own redis-server, a receiver, the API and the
// workers as separate processes; prints a table and writes JSON to bench-results/. USAGE below.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createRequire } from 'node:module';
import { clusterDrain, singleRedisDrain } from './partitions.mjs';
import { fifoDrain } from './fifo.mjs';

const require = createRequire(import.meta.url);
const { createDeliveryQueue, deliveryJob, newEventId, redisKeys, PartitionDeadLetters, WebhookStore, webhookCreateSchema, DEFAULT_RETRY_POLICY } =
  require('@herald/shared');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { WebhookRegistry } = require(join(root, 'apps/worker/dist/webhooks/webhook-registry.js'));
const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };
const USAGE = `Usage: pnpm bench [options]   (after pnpm build; needs redis-server on PATH)

  --scenarios a,b,…   run only these (default: all, in order; listed below)
  --quick             smaller sizes, for a quick look
  --events N          every scenario's event count
  --concurrency N     deliveries in flight per worker process, Herald's and the bare BullMQ worker's (default 50)
  --help              this text

Scenarios: SCENARIO_LIST
Figures compare only within one run: the machine and its load change from run to run.`;
let parsed;
try {
  parsed = parseArgs({
    options: {
      scenarios: { type: 'string' },
      concurrency: { type: 'string', default: '50' },
      quick: { type: 'boolean', default: false },
      /** Overrides every scenario's event count. */
      events: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  process.stderr.write(`${error.message}\n\n${USAGE.replace('SCENARIO_LIST', '(see --help)')}\n`);
  process.exit(2);
}
const { values: options } = parsed;
/** What each scenario measures; `pnpm bench --help` lists them. */
const SCENARIO_NOTES = {
  'ceiling-1': 'a bare BullMQ worker (1 process) POSTing with undici, jobs queued beforehand',
  'ceiling-2': 'the same, 2 processes: what Herald with 2 workers is compared with',
  'herald-drain-1w': 'Herald, 1 worker, draining events written to the stream before it starts',
  'herald-drain-2w': 'Herald, 2 workers, the same',
  'herald-api-1w': 'Herald, 1 worker, producers publishing through the API as fast as they can',
  'herald-api-2w': 'Herald, 2 workers, the same',
  'herald-fanout-10x': 'Herald, 2 workers, each event to 10 webhooks',
  'bare-queue-500eps-latency': 'a bare BullMQ queue (addBulk every 20 ms, 2 worker processes) at 500 events/s: publish→delivery',
  'herald-500eps-latency': 'Herald, 2 workers, 500 events/s through the API: publish→delivery',
  'herald-500eps-latency-stream': 'the same, events written straight to the stream',
  'neighbour-alone': '1 worker at default settings, a burst of 400 events to one healthy endpoint',
  'neighbour-hang': 'the same burst, each event also to an endpoint that never answers',
  'memory-per-queued-delivery': 'Redis memory a queued (waiting) delivery takes',
  'workers-down-cap-1000': 'workers down, HERALD_STREAM_MAXLEN=1000, 3,000 events published: every 202 delivered once a worker starts',
  'redis-full': 'Redis past the high-water mark, then at maxmemory, under load: only 202 or 503, processes up, every 202 delivered',
  'one-endpoint-down-20k': 'one endpoint down (circuit open), 20,000 events of 1 KB: Redis per waiting delivery, then the drain once it answers again',
  'ten-endpoints-down-2k': 'ten endpoints down sharing each of 2,000 events of 1 KB: Redis per waiting delivery',
  'dead-letters-5k': '5,000 deliveries of 1 KB events dead-lettered at once (400): Redis per dead letter, payload included',
  'ingest-everysec': 'the API accepting events into a Redis with appendonly yes, appendfsync everysec (batches, and single events)',
  'ingest-always': 'the same with appendfsync always: every accepted event is on disk before the 202',
  'memory-soak': 'Redis memory over 3 min at 200 events/s to a healthy and a 20 %-failing webhook, retention scaled down: it levels off',
  'webhook-change-10k': 'what one webhook change costs a worker with 10,000 webhooks',
  'tenant-10k-webhooks-drain-2w': 'as herald-drain-2w, the webhook\'s tenant also holding 10,000 webhooks that match nothing',
  'tenant-100k-webhooks-drain-2w': 'the same with 100,000',
  'filtered-1k-webhooks-drain-2w': 'one webhook alone, and beside 1,000 webhooks of its type whose payload filters refuse every event: drain rates, 2 workers, best of 2 alternating rounds',
  'worker-memory-100k-webhooks': 'a worker\'s resident memory per webhook, 100,000 webhooks over 10,000 tenants',
  'new-webhook-among-100k': 'among 100,000 webhooks, a webhook created through the API: time from the create call to its first delivery',
  'dead-letter-filter-100k': 'a filtered page among 100,000 dead letters',
  'partitions-single-drain-60w': 'events of 10 tenants, each to its 6 webhooks (60), drained by 2 workers on one Redis, one partition: Redis commands and CPU per delivery',
  'fifo-100-keys-drain-2w': 'as herald-drain-2w, its webhook ordered (FIFO) by a key with 100 values: 100 lines, one delivery at a time each (maxInFlight: the workers\' concurrency)',
  'partitions-cluster-drain-60w': 'the same on a local Redis Cluster of 3 masters + 3 replicas, 16 partitions: each master\'s share of the commands, commands and Redis CPU per delivery',
};
if (options.help) {
  const list = Object.entries(SCENARIO_NOTES).map(([name, note]) => `\n  ${name.padEnd(30)} ${note}`).join('');
  process.stdout.write(`${USAGE.replace('SCENARIO_LIST', list)}\n`);
  process.exit(0);
}
for (const name of options.scenarios?.split(',') ?? []) {
  if (!SCENARIO_NOTES[name]) {
    process.stderr.write(`unknown scenario "${name}"\n\n${USAGE.replace('SCENARIO_LIST', Object.keys(SCENARIO_NOTES).join(', '))}\n`);
    process.exit(2);
  }
}
const CONCURRENCY = Number(options.concurrency);
const SIZE = (n) => (options.events ? Number(options.events) : options.quick ? Math.max(500, Math.round(n / 10)) : n);
const TOKEN = 'bench-admin-token-0123456789';

// ---------------------------------------------------------------- processes

/** BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles Herald's and the bare BullMQ workers. */
const workerNodeArgs = () => (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** BENCH_API_NODE_ARGS does the same for the API. */
const apiNodeArgs = () => (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);

const running = new Set();
function start(script, args, env, { ipc = false, nodeArgs = [] } = {}) {
  const child = ipc
    ? fork(script, args, { env: { ...process.env, ...env }, execArgv: nodeArgs, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    : spawn(process.execPath, [...nodeArgs, script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c) => (output = (output + c).slice(-20_000)));
  child.stderr?.on('data', (c) => (output = (output + c).slice(-20_000)));
  child.output = () => output;
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}
const exited = (child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : Promise.resolve());
async function stop(children) {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map(exited));
}
const message = (child, type) => new Promise((resolve) => {
  const on = (m) => {
    if (m?.type === type) {
      child.off('message', on);
      resolve(m);
    }
  };
  child.on('message', on);
});
async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
/** Peak resident memory of a process (VmHWM), in MiB. */
function peakRssMiB(pid) {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- measuring

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return 0;
  }
}
/** CPU seconds each process used since `cpuStart`: where the time went on the shared cores. */
function cpuSince(before, processes) {
  const round = (n) => Math.round(n * 10) / 10;
  return Object.fromEntries(Object.entries(processes).map(([name, pids]) => [name, round(pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - (before[name] ?? 0))]));
}
function cpuStart(processes) {
  return Object.fromEntries(Object.entries(processes).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)]));
}

/** Calls per Redis command so far (INFO commandstats; commands run inside scripts included). */
async function commandCounts(redis) {
  const info = await redis.info('commandstats');
  return Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
}
/** Commands per delivery since `before`: the total, and the most frequent commands. */
async function commandsPerDelivery(redis, before, deliveries) {
  const after = await commandCounts(redis);
  const per = Object.entries(after)
    .map(([name, calls]) => [name, Math.round(((calls - (before[name] ?? 0)) / deliveries) * 100) / 100])
    .filter(([, n]) => n >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  // The INFO call itself is one command; it does not count.
  const total = Math.round(per.reduce((sum, [name, n]) => sum + (name === 'info' ? 0 : n), 0) * 10) / 10;
  return { total, byCommand: Object.fromEntries(per.filter(([name]) => name !== 'info')) };
}
function quantiles(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : null);
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}
async function report(receiver) {
  receiver.send('report');
  return message(receiver, 'report');
}
async function resetReceiver(receiver) {
  receiver.send('reset');
  await message(receiver, 'reset');
}
/**
 * Polls the receiver's counts until `expected` deliveries arrived; the latencies (large) are
 * fetched once at the end, so that polling costs the measured processes next to nothing.
 */
async function waitForDeliveries(receiver, expected, timeoutMs) {
  let last;
  await until(async () => {
    last = await report(receiver);
    return last.delivered >= expected;
  }, timeoutMs, `${expected} deliveries (have ${last?.delivered ?? 0})`);
  receiver.send('latencies');
  const { latencies } = await message(receiver, 'latencies');
  return { ...last, latencies };
}

// ---------------------------------------------------------------- the bench

const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
const redisPort = await freePort();
const redisProcess = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
  stdio: 'ignore',
});
const REDIS_URL = `redis://127.0.0.1:${redisPort}`;
const redis = new Redis(REDIS_URL);
redis.on('error', () => undefined);
await until(async () => (await redis.ping()) === 'PONG', 10_000, 'redis-server');

const receiver = start(join(root, 'bench/receiver.mjs'), [], {}, { ipc: true });
const { port: receiverPort } = await message(receiver, 'ready');
const TARGET = `http://127.0.0.1:${receiverPort}/hook`;

const results = [];
let prefixCounter = 0;

/** The bare BullMQ + undici ceiling with `processes` worker processes. */
async function ceiling(jobs, processes) {
  const queueName = `ceiling${++prefixCounter}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({ name: 'post', data: { type: 'bench.event', data: { n: i + k } } })));
  }
  await resetReceiver(receiver);
  const commandsBefore = await commandCounts(redis);
  const cpuBefore = cpuStart({ redis: [redisProcess.pid], receiver: [receiver.pid] });
  const workers = Array.from({ length: processes }, () =>
    start(join(root, 'bench/ceiling-worker.mjs'), [], { REDIS_URL, QUEUE: queueName, TARGET, CONCURRENCY: String(CONCURRENCY) }, { ipc: true, nodeArgs: workerNodeArgs() }),
  );
  const final = await waitForDeliveries(receiver, jobs, 300_000);
  const commands = await commandsPerDelivery(redis, commandsBefore, jobs);
  const cpu = cpuSince(cpuBefore, { redis: [redisProcess.pid], receiver: [receiver.pid], workers: workers.map((w) => w.pid) });
  const rss = workers.map((w) => peakRssMiB(w.pid));
  await stop(workers);
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  // From the first POST to the last: the jobs were all queued before the workers started.
  const seconds = (final.lastAt - final.firstAt) / 1000;
  return {
    deliveriesPerSecond: Math.round(jobs / seconds),
    redisCommandsPerDelivery: commands.total,
    redisCommandsByType: commands.byCommand,
    peakRssMiB: { worker: rss },
    cpuSeconds: cpu,
  };
}

/**
 * Publishes `count` events of `{ type: 'bench.event', data: { sentAt, n } }` through
 * `publishBatch(events)`: at `rate` events/s in batches every 20 ms, or (rate 0) in batches of 100
 * from 4 publishers as fast as they go.
 */
async function offerLoad(count, rate, publishBatch) {
  const size = rate > 0 ? Math.max(1, Math.round(rate / 50)) : 100;
  const batches = Math.ceil(count / size);
  const batch = (b) => {
    const sentAt = Date.now();
    return Array.from({ length: Math.min(size, count - b * size) }, (_, i) => ({ type: 'bench.event', data: { sentAt, n: b * size + i } }));
  };
  const started = Date.now();
  if (rate > 0) {
    const interval = (size / rate) * 1000;
    const inflight = [];
    for (let b = 0; b < batches; b++) {
      const wait = started + b * interval - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(publishBatch(batch(b)));
    }
    await Promise.all(inflight);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < batches) await publishBatch(batch(next++));
    }));
  }
}

/** Publishes straight into a stream with XADD, one pipeline per batch (as producers may). */
const streamPublisher = (stream) => async (events) => {
  const pipeline = redis.pipeline();
  for (const event of events) pipeline.xadd(stream, '*', 'event', JSON.stringify(event));
  await pipeline.exec();
};

/**
 * The timed part of a scenario fed by `publish`: after `warmupEvents` untimed events (steady state:
 * connections, JIT and script loading are not timed), offers `events` events and waits for
 * `events × fanOut` deliveries. Throughput runs from the first publish to the last delivery; CPU
 * is counted for Redis, the receiver and `processes` ({ name: [pid, …] }).
 */
async function measureLoad({ events, fanOut = 1, rate = 0, warmupEvents = 0, publish, processes }) {
  if (warmupEvents > 0) {
    await resetReceiver(receiver);
    await offerLoad(warmupEvents, rate, publish);
    await waitForDeliveries(receiver, warmupEvents * fanOut, 120_000);
  }
  await resetReceiver(receiver);
  const commandsBefore = await commandCounts(redis);
  // The harness itself is the producer here: its CPU is counted too.
  const cpuProcesses = { redis: [redisProcess.pid], receiver: [receiver.pid], ...processes, harness: [process.pid] };
  const cpuBefore = cpuStart(cpuProcesses);
  const started = Date.now();
  await offerLoad(events, rate, publish);
  const expected = events * fanOut;
  const final = await waitForDeliveries(receiver, expected, 600_000);
  const commands = await commandsPerDelivery(redis, commandsBefore, expected);
  return {
    deliveriesPerSecond: Math.round(expected / ((final.lastAt - started) / 1000)),
    latencyMs: quantiles(final.latencies),
    redisCommandsPerDelivery: commands.total,
    redisCommandsByType: commands.byCommand,
    cpuSeconds: cpuSince(cpuBefore, cpuProcesses),
  };
}

/** Starts Herald's API (on its own prefix) and makes `webhooks` default webhooks to `targets` (cycled). */
async function startApi({ webhooks = 1, targets = [TARGET], webhookSettings = {}, extraEnv = {} } = {}) {
  const prefix = `bench${++prefixCounter}`;
  const apiPort = await freePort();
  const env = {
    REDIS_URL, HERALD_PREFIX: prefix, HERALD_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HERALD_ALLOW_PRIVATE_TARGETS: 'true',
    HERALD_WORKER_CONCURRENCY: String(CONCURRENCY), ...extraEnv,
  };
  const api = start(join(root, 'apps/api/dist/index.js'), [], { ...env, HERALD_API_PORT: String(apiPort), HERALD_API_HOST: '127.0.0.1' }, { nodeArgs: apiNodeArgs() });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await until(async () => (await fetch(`${apiUrl}/readyz`)).ok, 15_000, `the API\n${api.output()}`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  for (let w = 0; w < webhooks; w++) {
    // Webhooks at their defaults (circuit breaker on, retries, in-flight cap), as users get them.
    const response = await fetch(`${apiUrl}/v1/webhooks`, {
      method: 'POST', headers, body: JSON.stringify({ url: `${targets[w % targets.length]}?w=${w}`, ...webhookSettings }),
    });
    if (response.status !== 201) throw new Error(await response.text());
  }
  /** Publishes a batch; its event ids when accepted, else the status (a 503 where `refusals` allows). */
  const post = async (batch) => {
    const response = await fetch(`${apiUrl}/v1/events/batch`, { method: 'POST', headers, body: JSON.stringify({ events: batch }) });
    return response.status === 202 ? (await response.json()).events.map((e) => e.id) : response.status;
  };
  const publish = async (batch) => {
    const accepted = await post(batch);
    if (!Array.isArray(accepted)) throw new Error(`publish: ${accepted}`);
  };
  /** Any API call: its status and JSON body. */
  const request = async (method, path, body) => {
    const response = await fetch(`${apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  };
  return { prefix, env, api, publish, post, request };
}

/** Starts `count` Herald workers with `env` at once (as the bare workers are), and waits until all are ready. */
async function startWorkers(count, env) {
  const ports = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const workers = ports.map((metricsPort) =>
    start(join(root, 'apps/worker/dist/index.js'), [], { ...env, HERALD_METRICS_PORT: String(metricsPort), HERALD_METRICS_HOST: '127.0.0.1' }, { nodeArgs: workerNodeArgs() }),
  );
  await Promise.all(workers.map((worker, i) => until(async () => (await fetch(`http://127.0.0.1:${ports[i]}/readyz`)).ok, 15_000, `worker ${i}\n${worker.output()}`)));
  return workers;
}

/** Herald end to end: API + `workers` worker processes, `webhooks` webhooks, `events` events. */
async function herald({ events, webhooks = 1, workers = 1, via = 'api', rate = 0, warmupEvents = 0 }) {
  const { prefix, env, api, publish } = await startApi({ webhooks });
  const workerProcs = await startWorkers(workers, env);
  const measured = await measureLoad({
    events, fanOut: webhooks, rate, warmupEvents, publish: via === 'stream' ? streamPublisher(`${prefix}:events`) : publish,
    processes: { api: [api.pid], workers: workerProcs.map((w) => w.pid) },
  });
  const rss = { api: peakRssMiB(api.pid), workers: workerProcs.map((w) => peakRssMiB(w.pid)) };
  await stop([...workerProcs, api]);
  return { ...measured, peakRssMiB: rss };
}

/**
 * Herald draining a backlog, as the ceiling does: `events` events are written to the stream before
 * the workers start; the time runs from the first delivery to the last at the receiver. The Redis
 * commands counted are those of first attempts straight from the stream.
 */
async function heraldDrain({ events, workers }) {
  const { prefix, env, api } = await startApi();
  await stop([api]);
  return heraldDrainPrepared({ prefix, env, events, workers });
}

/** heraldDrain on an installation already made (its webhooks in place, the API stopped). */
async function heraldDrainPrepared({ prefix, env, events, workers }) {
  const stream = `${prefix}:events`;
  for (let i = 0; i < events; i += 1000) {
    const pipeline = redis.pipeline();
    for (let k = i; k < Math.min(events, i + 1000); k++) pipeline.xadd(stream, '*', 'event', JSON.stringify({ type: 'bench.event', data: { n: k } }));
    await pipeline.exec();
  }
  await resetReceiver(receiver);
  const commandsBefore = await commandCounts(redis);
  const cpuBefore = cpuStart({ redis: [redisProcess.pid], receiver: [receiver.pid] });
  const workerProcs = await startWorkers(workers, env);
  const final = await waitForDeliveries(receiver, events, 300_000);
  const commands = await commandsPerDelivery(redis, commandsBefore, events);
  const cpu = cpuSince(cpuBefore, { redis: [redisProcess.pid], receiver: [receiver.pid], workers: workerProcs.map((w) => w.pid) });
  const rss = workerProcs.map((w) => peakRssMiB(w.pid));
  await stop(workerProcs);
  return {
    deliveriesPerSecond: Math.round(events / ((final.lastAt - final.firstAt) / 1000)),
    redisCommandsPerDelivery: commands.total,
    redisCommandsByType: commands.byCommand,
    peakRssMiB: { worker: rss },
    cpuSeconds: cpu,
  };
}

/**
 * A bare BullMQ queue at a fixed load: each 20 ms batch is added with one addBulk, and
 * `processes` bare workers (bench/ceiling-worker.mjs) POST each job to the receiver. The p99 that
 * Herald's own at the same load is compared with.
 */
async function bareQueue({ events, processes, rate, warmupEvents }) {
  const queueName = `bare-queue${++prefixCounter}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  const workers = Array.from({ length: processes }, () =>
    start(join(root, 'bench/ceiling-worker.mjs'), [], { REDIS_URL, QUEUE: queueName, TARGET, CONCURRENCY: String(CONCURRENCY) }, { ipc: true }),
  );
  await Promise.all(workers.map((worker) => message(worker, 'ready')));
  const measured = await measureLoad({
    events, rate, warmupEvents, processes: { workers: workers.map((w) => w.pid) },
    publish: (batch) => queue.addBulk(batch.map((event) => ({ name: 'post', data: event }))),
  });
  await stop(workers);
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return measured;
}

/**
 * One worker at its default settings takes a burst of `events` events for a healthy endpoint,
 * alone or (with `hanging`) each event also for an endpoint that accepts connections and never
 * answers: the healthy endpoint's publish→delivery latency with and without that neighbour.
 */
async function neighbour({ events, hanging }) {
  const targets = [TARGET];
  let silent;
  if (hanging) {
    silent = createHttpServer(() => undefined);
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    targets.push(`http://127.0.0.1:${silent.address().port}/hang`);
  }
  const { env, api, publish } = await startApi({ webhooks: targets.length, targets });
  const { HERALD_WORKER_CONCURRENCY: _, ...defaults } = env;
  const workers = await startWorkers(1, defaults);
  await resetReceiver(receiver);
  const sentAt = Date.now();
  await publish(Array.from({ length: events }, (_, n) => ({ type: 'bench.event', data: { sentAt, n } })));
  const final = await waitForDeliveries(receiver, events, 120_000);
  await stop([...workers, api]);
  silent?.closeAllConnections();
  silent?.close();
  return { deliveriesPerSecond: Math.round(events / ((final.lastAt - sentAt) / 1000)), latencyMs: quantiles(final.latencies) };
}

/**
 * What durability costs at ingest: a Redis of its own with the append-only file on and `appendfsync`
 * as given, and the API alone (no workers). Batches of 100 from 4 producers as fast as they go
 * (events/s accepted), then single events from 8 producers (requests/s and the 202's latency).
 */
async function ingestDurability({ appendfsync, events }) {
  const aofDir = mkdtempSync(join(tmpdir(), 'herald-bench-aof-'));
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', appendfsync, '--dir', aofDir], { stdio: 'ignore' });
  const direct = new Redis(`redis://127.0.0.1:${port}`);
  direct.on('error', () => undefined);
  try {
    await until(async () => (await direct.ping()) === 'PONG', 10_000, 'the AOF redis-server');
    const apiPort = await freePort();
    const api = start(join(root, 'apps/api/dist/index.js'), [], {
      REDIS_URL: `redis://127.0.0.1:${port}`, HERALD_PREFIX: 'durability', HERALD_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HERALD_API_PORT: String(apiPort), HERALD_API_HOST: '127.0.0.1',
    });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await until(async () => (await fetch(`${apiUrl}/readyz`)).ok, 15_000, `the API
${api.output()}`);
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const post = async (path, body) => {
      const response = await fetch(`${apiUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (response.status !== 202) throw new Error(`publish: ${response.status}`);
    };
    const batchStarted = performance.now();
    await offerLoad(events, 0, (batch) => post('/v1/events/batch', { events: batch }));
    const batchedPerSecond = Math.round(events / ((performance.now() - batchStarted) / 1000));
    const singles = Math.min(events, 5000);
    const latencies = [];
    let next = 0;
    const singleStarted = performance.now();
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < singles) {
        next += 1;
        const sent = performance.now();
        await post('/v1/events', { type: 'bench.event', data: { n: next } });
        latencies.push(Math.round((performance.now() - sent) * 10) / 10);
      }
    }));
    const singlePerSecond = Math.round(singles / ((performance.now() - singleStarted) / 1000));
    await stop([api]);
    return { deliveriesPerSecond: batchedPerSecond, latencyMs: quantiles(latencies), singleEventsPerSecond: singlePerSecond, acceptedPerSecond: batchedPerSecond };
  } finally {
    direct.disconnect();
    server.kill('SIGTERM');
    await exited(server);
    rmSync(aofDir, { recursive: true, force: true });
  }
}

/**
 * Redis memory under a sustained load, with every retention scaled down so that the steady state
 * comes within minutes: 200 events/s (each with an idempotency key) for a healthy webhook and one
 * failing 20 % of the time, for `seconds`. Samples used_memory every 10 s, and measures what each
 * kind of key takes, for the steady-state formula in the README.
 */
async function memorySoak({ seconds, rate = 200 }) {
  const retention = { HERALD_EVENT_ATTEMPTS_TTL: '30s', HERALD_IDEMPOTENCY_TTL_SECONDS: '30', HERALD_STREAM_MAXLEN: '5000', HERALD_ATTEMPT_LOG_SIZE: '1000' };
  Object.assign(process.env, retention);
  let started;
  try {
    started = await startApi({ webhooks: 2, targets: [TARGET, `${TARGET}?fail=0.2`], webhookSettings: { retry: { initialDelayMs: 1000, maxRetries: 3 } } });
  } finally {
    for (const name of Object.keys(retention)) delete process.env[name];
  }
  const { prefix, env, api, publish } = started;
  const workers = await startWorkers(1, { ...env, ...retention });
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const baseline = await used();
  const samples = [];
  let n = 0;
  const keyed = (batch) => batch.map((event) => ({ ...event, id: `soak-${n++}` }));
  const load = offerLoad(rate * seconds, rate, (batch) => publish(keyed(batch)));
  const sampler = setInterval(async () => samples.push(Math.round(((await used()) - baseline) / 1e5) / 10), 10_000);
  await load;
  clearInterval(sampler);
  // What each kind of key takes (MEMORY USAGE, with its share of the allocator's overhead).
  const sample = async (pattern, count = 50) => {
    const [, found] = await redis.scan('0', 'MATCH', pattern, 'COUNT', 100_000);
    const picked = found.slice(0, count);
    if (picked.length === 0) return null;
    const sizes = await Promise.all(picked.map((key) => redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')));
    return Math.round(sizes.reduce((sum, s) => sum + Number(s), 0) / picked.length);
  };
  const streamBytes = Number(await redis.call('MEMORY', 'USAGE', `${prefix}:events`, 'SAMPLES', '0'));
  const streamLength = await redis.xlen(`${prefix}:events`);
  const perEventList = await sample(`${prefix}:attempts:event:*`);
  const eventLists = (await redis.scan('0', 'MATCH', `${prefix}:attempts:event:*`, 'COUNT', 1_000_000))[1].length;
  const idempotencyKey = await sample(`${prefix}:idempotency:*`);
  await stop([...workers, api]);
  return {
    memoryMiB: samples,
    bytes: {
      streamEntry: Math.round(streamBytes / Math.max(1, streamLength)),
      eventAttemptList: perEventList,
      idempotencyKey,
    },
    eventAttemptListsKept: eventLists,
  };
}

/**
 * The workers are down (a deploy, a crash loop) with the stream's limit at 1,000: producers publish
 * `events` events in batches of 100 through the API, then one worker starts. Every event answered
 * 202 must be delivered, exactly once; the rest were refused with 503 and never accepted.
 */
async function workersDown({ events, limit }) {
  const { env, api, post } = await startApi({ extraEnv: { HERALD_STREAM_MAXLEN: String(limit) } });
  await resetReceiver(receiver);
  const accepted = [];
  const refusals = {};
  for (let i = 0; i < events; i += 100) {
    const result = await post(Array.from({ length: Math.min(100, events - i) }, (_, k) => ({ type: 'bench.event', data: { sentAt: Date.now(), n: i + k } })));
    if (Array.isArray(result)) accepted.push(...result);
    else refusals[result] = (refusals[result] ?? 0) + 1;
  }
  const workers = await startWorkers(1, env);
  await waitForDeliveries(receiver, accepted.length, 120_000);
  // Time for anything more (a duplicate, an event never accepted) to arrive before counting.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  receiver.send('ids');
  const { ids } = await message(receiver, 'ids');
  await stop([...workers, api]);
  const delivered = new Set(ids);
  return {
    published: events, streamLimit: limit, accepted: accepted.length, refusedBatches: refusals,
    delivered: ids.length, lost: accepted.filter((id) => !delivered.has(id)).length, duplicates: ids.length - delivered.size,
  };
}

/**
 * Redis filling up under load (noeviction): 600 batches of 20 events are published through the API
 * while Redis is first roomy, then past the high-water mark (0.95 of maxmemory), then at maxmemory,
 * then roomy again. Every answer must be 202 or 503 (never a 500), the API and the worker must stay
 * up, and every event answered 202 must be delivered.
 */
async function redisFull({ batches = 600, size = 20 } = {}) {
  const { env, api, post } = await startApi();
  const workers = await startWorkers(1, env);
  await resetReceiver(receiver);
  const used = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
  const ballast = redis.pipeline();
  for (let i = 0; i < 300; i++) ballast.set(`bench-ballast:${i}`, 'x'.repeat(100_000));
  await ballast.exec();
  const statuses = {};
  const accepted = [];
  try {
    for (let b = 0; b < batches; b++) {
      if (b === batches / 6) await redis.config('SET', 'maxmemory', String(Math.floor((await used()) / 0.95)));
      if (b === (batches * 3) / 6) await redis.config('SET', 'maxmemory', String(Math.floor((await used()) * 0.9)));
      if (b === (batches * 5) / 6) await redis.config('SET', 'maxmemory', '0');
      const result = await post(Array.from({ length: size }, (_, k) => ({ type: 'bench.event', data: { sentAt: Date.now(), n: b * size + k } })));
      const status = Array.isArray(result) ? 202 : result;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (Array.isArray(result)) accepted.push(...result);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await redis.config('SET', 'maxmemory', '0');
    await redis.eval("for _, k in ipairs(redis.call('KEYS', 'bench-ballast:*')) do redis.call('DEL', k) end", 0);
  }
  await waitForDeliveries(receiver, accepted.length, 120_000);
  receiver.send('ids');
  const { ids } = await message(receiver, 'ids');
  const delivered = new Set(ids);
  const up = [api, ...workers].every((child) => child.exitCode === null && child.signalCode === null);
  await stop([...workers, api]);
  return { batches, statuses, accepted: accepted.length, delivered: delivered.size, lost: accepted.filter((id) => !delivered.has(id)).length, processesUp: up };
}

/** `count` events of about `bytes` of data each that do not compress (random base64). */
function incompressibleEvents(count, bytes, from = 0) {
  return Array.from({ length: count }, (_, i) => ({ type: 'bench.event', data: { sentAt: Date.now(), n: from + i, blob: randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes) } }));
}

/**
 * Endpoints down, their circuits open: `events` events of 1 KB (that do not compress) to `webhooks`
 * webhooks each, with HERALD_STREAM_MAXLEN=1000 so that the stream's share is gone once it has
 * moved on. Redis memory per waiting delivery, from INFO memory, beside the event's own size; then,
 * with `drain`, the endpoints answer again and the time until every delivery arrived.
 */
async function endpointsDown({ events, webhooks, drain = false }) {
  const cooldownMs = 3000;
  const { prefix, env, api, post } = await startApi({
    webhooks, targets: [`${TARGET}?down`], extraEnv: { HERALD_STREAM_MAXLEN: '1000' },
    webhookSettings: { circuitBreaker: { failureThreshold: 2, cooldownMs }, retry: { maxRetries: 10, initialDelayMs: 100, backoffMultiplier: 1, jitter: 0 } },
  });
  receiver.send('down');
  await message(receiver, 'down');
  const workers = await startWorkers(1, { ...env, HERALD_STREAM_MAXLEN: '1000' });
  const keys = redisKeys(prefix);
  const openCircuits = async () => redis.scard(keys.openCircuits);
  const parkedCount = async () => {
    const ids = await redis.smembers(keys.parkedWebhooks);
    return (await Promise.all(ids.map((id) => redis.xlen(keys.parked(id))))).reduce((sum, n) => sum + n, 0);
  };
  // As a producer would: a batch refused while the workers are behind (503 Backlog full) is sent again.
  const publish = async (batch) => {
    while (!Array.isArray(await post(batch))) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  // Open the circuits with a few events, and let what they left behind settle.
  await publish(incompressibleEvents(3, 1000));
  await until(async () => (await openCircuits()) === webhooks, 60_000, 'every circuit open');
  await until(async () => (await parkedCount()) >= 3 * webhooks, 60_000, 'the opening events parked');
  const used = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
  const streamBytes = async () => Number(await redis.call('MEMORY', 'USAGE', keys.eventsStream, 'SAMPLES', '0'));
  const before = (await used()) - (await streamBytes());
  const sample = incompressibleEvents(1, 1000)[0];
  for (let i = 0; i < events; i += 200) await publish(incompressibleEvents(Math.min(200, events - i), 1000, i));
  await until(async () => (await parkedCount()) >= (events + 3) * webhooks, 300_000, `${(events + 3) * webhooks} parked`);
  // The stream's share goes as the workers trim it (HERALD_STREAM_MAXLEN=1000); its remainder is left out.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const after = (await used()) - (await streamBytes());
  const jobs = await (async () => {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const counts = await createDeliveryQueue(connection, prefix).getJobCounts('waiting', 'delayed', 'prioritized');
    connection.disconnect();
    return counts;
  })();
  const deliveries = events * webhooks;
  const storedEventBytes = JSON.stringify({ ...sample, id: newEventId(Date.now()), tenant: 'default', occurredAt: new Date().toISOString(), receivedAt: Date.now() }).length;
  const result = {
    events, webhooks, parked: await parkedCount(), jobsWaiting: jobs, storedEventBytes,
    bytesPerEvent: Math.round((after - before) / events),
    bytesPerWaitingDelivery: Math.round((after - before) / deliveries),
  };
  if (drain) {
    await resetReceiver(receiver);
    const recoveredAt = Date.now();
    receiver.send('up');
    await message(receiver, 'up');
    await waitForDeliveries(receiver, deliveries, 600_000);
    result.drainMs = Date.now() - recoveredAt;
    result.cooldownMs = cooldownMs;
  }
  receiver.send('up');
  await message(receiver, 'up');
  await stop([...workers, api]);
  await deleteKeys(`${prefix}:*`);
  return result;
}

/**
 * Dead letters of 1 KB events (that do not compress), with HERALD_STREAM_MAXLEN=1000: an endpoint
 * that refuses every delivery (400: no retry), `events` events; Redis memory per dead letter, its
 * event's payload included, beside the event's own size.
 */
async function deadLetterMemory({ events }) {
  const { prefix, env, api, post } = await startApi({ targets: [`${TARGET}?reject`], extraEnv: { HERALD_STREAM_MAXLEN: '1000' } });
  const workers = await startWorkers(1, { ...env, HERALD_STREAM_MAXLEN: '1000', HERALD_EVENT_ATTEMPTS_TTL: '0' });
  const keys = redisKeys(prefix);
  const publish = async (batch) => {
    while (!Array.isArray(await post(batch))) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  await publish(incompressibleEvents(10, 1000));
  await until(async () => (await redis.zcard(keys.deadLettersByTime)) >= 10, 60_000, 'the first dead letters');
  const used = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
  const streamBytes = async () => Number(await redis.call('MEMORY', 'USAGE', keys.eventsStream, 'SAMPLES', '0'));
  // The attempt log holds the newest 10,000 attempts whatever happens: left out, as the stream is.
  const logBytes = async () => Number(await redis.call('MEMORY', 'USAGE', keys.attempts((await redis.hkeys(keys.webhooks))[0]), 'SAMPLES', '0'));
  const before = (await used()) - (await streamBytes()) - (await logBytes());
  for (let i = 0; i < events; i += 200) await publish(incompressibleEvents(Math.min(200, events - i), 1000, i));
  await until(async () => (await redis.zcard(keys.deadLettersByTime)) >= events + 10, 300_000, `${events} dead letters`);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const after = (await used()) - (await streamBytes()) - (await logBytes());
  await stop([...workers, api]);
  await deleteKeys(`${prefix}:*`);
  const sample = incompressibleEvents(1, 1000)[0];
  const storedEventBytes = JSON.stringify({ ...sample, id: newEventId(Date.now()), tenant: 'default', occurredAt: new Date().toISOString(), receivedAt: Date.now() }).length;
  return { events, storedEventBytes, bytesPerDeadLetter: Math.round((after - before) / events) };
}

/** Redis memory one queued delivery takes (an event of ~200 bytes of data), for sizing. */
async function memoryPerQueuedJob(jobs) {
  const prefix = `bench${++prefixCounter}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createDeliveryQueue(connection, prefix);
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const before = await used();
  const now = Date.now();
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, jobs - i) }, (_, k) =>
        deliveryJob(
          { id: newEventId(now), type: 'order.created', tenant: 'default', occurredAt: new Date(now).toISOString(), receivedAt: now, data: { order: i + k, note: 'x'.repeat(160) } },
          { id: 'wh_benchmark0000000000', retry: DEFAULT_RETRY_POLICY },
        ),
      ),
    );
  }
  const bytes = (await used()) - before;
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return { bytesPerQueuedDelivery: Math.round(bytes / jobs) };
}

/** Deletes every key matching `pattern` (a scenario's own keys, once it is done). */
async function deleteKeys(pattern) {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** Makes `count` webhooks under `keys` with `make(i)`'s settings (through the store: as the API would, faster). */
async function makeWebhooks(keys, count, make) {
  const store = new WebhookStore(redis, keys);
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, k) => store.create(webhookCreateSchema.parse(make(i + k)))));
  }
  return store;
}

/**
 * Herald draining events for one webhook whose tenant also has `others` webhooks, each subscribed
 * to a type of its own (they match nothing): compared with herald-drain-2w in the same run, what a
 * tenant's size costs the fan-out.
 */
async function manyWebhooksDrain({ events, workers, others }) {
  const { prefix, env, api } = await startApi();
  await stop([api]);
  const keys = redisKeys(prefix);
  await makeWebhooks(keys, others, (i) => ({ url: `${TARGET}?other=${i}`, events: [`other.type${i}`] }));
  const result = await heraldDrainPrepared({ prefix, env, events, workers });
  await deleteKeys(`${prefix}:*`);
  return { ...result, webhooksInTenant: others + 1 };
}

/**
 * Payload filters at fan-out: one webhook drained alone, and the same beside `filtered` webhooks
 * subscribed to the same type, whose filters refuse every event (each one evaluated, none
 * delivered), in this one run. The two alternate `rounds` times and the best of each is kept, so
 * that a neighbour's burst on the shared cores does not decide the ratio. `deliveriesPerSecond` is
 * the filtered one's.
 */
async function filteredWebhooksDrain({ events, workers, filtered, rounds = 2 }) {
  const { prefix, env, api } = await startApi();
  await stop([api]);
  const keys = redisKeys(prefix);
  // bench.event's data is { n } with n ≥ 0: each webhook a filter of its own (none shared), of a
  // few conditions, the last one failing.
  await makeWebhooks(keys, filtered, (i) => ({
    url: `${TARGET}?filtered=${i}`,
    events: ['bench.*'],
    filter: { type: 'bench.event', data: { n: { $gte: 0, $lt: -i } } },
  }));
  const alone = [];
  const beside = [];
  for (let round = 0; round < rounds; round++) {
    alone.push(await heraldDrain({ events, workers }));
    beside.push(await heraldDrainPrepared({ prefix, env, events, workers }));
  }
  await deleteKeys(`${prefix}:*`);
  const best = (runs) => runs.reduce((a, b) => (b.deliveriesPerSecond > a.deliveriesPerSecond ? b : a));
  const [bestAlone, bestBeside] = [best(alone), best(beside)];
  return {
    ...bestBeside,
    rounds: { alone: alone.map((r) => r.deliveriesPerSecond), beside: beside.map((r) => r.deliveriesPerSecond) },
    aloneDeliveriesPerSecond: bestAlone.deliveriesPerSecond,
    aloneCpuSeconds: bestAlone.cpuSeconds,
    ratioToAlone: Math.round((bestBeside.deliveriesPerSecond / bestAlone.deliveriesPerSecond) * 100) / 100,
    filteredWebhooks: filtered,
    webhooks: filtered + 1,
  };
}

/**
 * A worker's memory for `count` webhooks over `tenants` tenants: its resident memory once it has
 * loaded them and settled, less that of a worker with none, per webhook.
 */
async function workerMemoryPerWebhook({ count, tenants }) {
  const residentMiB = async (env) => {
    const [worker] = await startWorkers(1, env);
    // Settled: loaded, and what loading made collected.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1]);
    await stop([worker]);
    return kb / 1024;
  };
  const empty = await startApi({ webhooks: 0 });
  await stop([empty.api]);
  const baseline = await residentMiB(empty.env);
  const full = await startApi({ webhooks: 0 });
  await stop([full.api]);
  const keys = redisKeys(full.prefix);
  await makeWebhooks(keys, count, (i) => ({ url: `${TARGET}?w=${i}`, tenant: `tenant-${i % tenants}`, events: ['order.*', `invoice.${i % 7}`] }));
  const loaded = await residentMiB(full.env);
  await deleteKeys(`${full.prefix}:*`);
  return {
    webhooks: count, tenants, workerRssMiB: { none: round(baseline), loaded: round(loaded) },
    bytesPerWebhook: Math.round(((loaded - baseline) * 1024 * 1024) / count),
  };
}

/**
 * Among `count` webhooks, a webhook is created through the API and an event published for it at
 * once: the time from the create call to the delivery, `tries` times (each a new webhook and type).
 */
async function newWebhookFirstDelivery({ count, tries }) {
  const { prefix, env, api, request } = await startApi({ webhooks: 0 });
  const keys = redisKeys(prefix);
  await makeWebhooks(keys, count, (i) => ({ url: `${TARGET}?w=${i}`, tenant: `tenant-${i % 1000}`, events: [`order.${i}`] }));
  const workers = await startWorkers(1, env);
  const times = [];
  for (let t = 0; t < tries; t++) {
    await resetReceiver(receiver);
    const started = performance.now();
    const created = await request('POST', '/v1/webhooks', { url: `${TARGET}?new=${t}`, tenant: 'newcomer', events: [`fresh.type${t}`] });
    if (created.status !== 201) throw new Error(`create: ${created.status}`);
    const published = await request('POST', '/v1/events', { tenant: 'newcomer', type: `fresh.type${t}`, data: { sentAt: Date.now() } });
    if (published.status !== 202) throw new Error(`publish: ${published.status}`);
    await waitForDeliveries(receiver, 1, 30_000);
    times.push(round(performance.now() - started));
  }
  await stop([...workers, api]);
  await deleteKeys(`${prefix}:*`);
  const sorted = [...times].sort((a, b) => a - b);
  return { webhooks: count, tries, createToDeliveryMs: { median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) } };
}

/**
 * What one webhook change costs each worker, with `count` webhooks: the first load (all of them),
 * then the catch-up after each of a few changes (only what changed). Milliseconds, median of 5.
 */
async function webhookChangeCost(count) {
  const keys = redisKeys(`bench${++prefixCounter}`);
  const store = new WebhookStore(redis, keys);
  const made = [];
  for (let i = 0; i < count; i += 500) {
    made.push(...(await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, k) =>
      store.create(webhookCreateSchema.parse({ url: `https://example.com/${i + k}`, tenant: `t${(i + k) % 1000}`, events: ['order.*'] }))))));
  }
  const timed = async (fn) => { const started = performance.now(); await fn(); return performance.now() - started; };
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const firstLoads = [];
  for (let i = 0; i < 5; i++) firstLoads.push(await timed(() => new WebhookRegistry(store, silentLogger).refresh(0)));
  const registry = new WebhookRegistry(store, silentLogger);
  await registry.refresh(0);
  const catchUps = [];
  for (let i = 0; i < 5; i++) {
    await store.update(made[i].id, { events: [`order.changed-${i}`] });
    catchUps.push(await timed(() => registry.refresh(0)));
  }
  const digestChecks = [];
  for (let i = 0; i < 5; i++) digestChecks.push(await timed(() => registry.checkDigests()));
  await deleteKeys(`${keys.bullPrefix}:webhooks*`);
  return {
    webhooks: count, allRoutesLoadMs: round(median(firstLoads)), oneChangeCatchUpMs: round(median(catchUps)),
    digestCheckMs: round(median(digestChecks)), fullLoads: registry.fullLoads, tenantReloads: registry.tenantReloads,
  };
}

/**
 * A page of 50 dead letters filtered by webhook or tenant, among `count` dead letters of 100
 * webhooks and 10 tenants: through the index of all dead letters (how listings ran before the
 * per-webhook and per-tenant indexes) and through those indexes. Milliseconds.
 */
async function deadLetterFilterCost(count) {
  const keys = redisKeys(`bench${++prefixCounter}`);
  const store = new PartitionDeadLetters(redis, keys);
  const at = Date.now() - count;
  for (let i = 0; i < count; i += 1000) {
    const pipeline = redis.pipeline();
    for (let k = i; k < Math.min(count, i + 1000); k++) {
      const webhookId = `wh_${k % 100}`;
      const tenant = `t${k % 10}`;
      store.addTo(pipeline, {
        id: `evt_${k}.${webhookId}`, webhookId, tenant, attempts: 8, lastError: 'HTTP 503', replays: 0, deadLetteredAt: new Date(at + k).toISOString(),
        event: { id: `evt_${k}`, type: 'order.created', tenant, data: { order: k, note: 'x'.repeat(150) }, occurredAt: new Date(at).toISOString(), receivedAt: at },
      });
    }
    await pipeline.exec();
  }
  const filters = { 'one webhook (1 %)': { webhookId: 'wh_7' }, 'a webhook with none': { webhookId: 'wh_none' }, 'one tenant (10 %)': { tenant: 't3' } };
  const result = { deadLetters: count };
  for (const indexed of [false, true]) {
    if (indexed) await redis.set(keys.deadLetterIndexesBuilt, '1');
    for (const [name, filter] of Object.entries(filters)) {
      const started = performance.now();
      await store.list(filter, 50);
      result[`${name}, ${indexed ? 'own index' : 'index of all'} ms`] = round(performance.now() - started);
    }
  }
  await redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${keys.bullPrefix}:dead-letters*`);
  return result;
}
const round = (ms) => Math.round(ms * 10) / 10;

// Fixed load: 20 s at 500 events/s (5 s with --quick), timed after 2 s of the same load as warm-up.
const LATENCY_EVENTS = options.events ? Number(options.events) : options.quick ? 2_500 : 10_000;
const LATENCY = { rate: 500, warmupEvents: 1_000 };
const SCENARIOS = {
  'ceiling-1': () => ceiling(SIZE(20_000), 1),
  'ceiling-2': () => ceiling(SIZE(20_000), 2),
  'herald-drain-1w': () => heraldDrain({ events: SIZE(20_000), workers: 1 }),
  'herald-drain-2w': () => heraldDrain({ events: SIZE(20_000), workers: 2 }),
  'herald-api-1w': () => herald({ events: SIZE(20_000), workers: 1 }),
  'herald-api-2w': () => herald({ events: SIZE(20_000), workers: 2 }),
  'herald-fanout-10x': () => herald({ events: SIZE(5_000), webhooks: 10, workers: 2 }),
  'bare-queue-500eps-latency': () => bareQueue({ events: LATENCY_EVENTS, processes: 2, ...LATENCY }),
  'herald-500eps-latency': () => herald({ events: LATENCY_EVENTS, workers: 2, ...LATENCY }),
  'herald-500eps-latency-stream': () => herald({ events: LATENCY_EVENTS, workers: 2, via: 'stream', ...LATENCY }),
  'neighbour-alone': () => neighbour({ events: 400, hanging: false }),
  'neighbour-hang': () => neighbour({ events: 400, hanging: true }),
  'memory-per-queued-delivery': () => memoryPerQueuedJob(SIZE(20_000)),
  'workers-down-cap-1000': () => workersDown({ events: 3000, limit: 1000 }),
  'redis-full': () => redisFull(),
  'one-endpoint-down-20k': () => endpointsDown({ events: SIZE(20_000), webhooks: 1, drain: true }),
  'ten-endpoints-down-2k': () => endpointsDown({ events: SIZE(2_000), webhooks: 10 }),
  'dead-letters-5k': () => deadLetterMemory({ events: SIZE(5_000) }),
  'ingest-everysec': () => ingestDurability({ appendfsync: 'everysec', events: SIZE(20_000) }),
  'ingest-always': () => ingestDurability({ appendfsync: 'always', events: SIZE(20_000) }),
  'memory-soak': () => memorySoak({ seconds: options.quick ? 60 : 180 }),
  'webhook-change-10k': () => webhookChangeCost(SIZE(10_000)),
  'tenant-10k-webhooks-drain-2w': () => manyWebhooksDrain({ events: SIZE(20_000), workers: 2, others: 10_000 }),
  'tenant-100k-webhooks-drain-2w': () => manyWebhooksDrain({ events: SIZE(20_000), workers: 2, others: 100_000 }),
  'filtered-1k-webhooks-drain-2w': () => filteredWebhooksDrain({ events: SIZE(20_000), workers: 2, filtered: 1_000 }),
  'worker-memory-100k-webhooks': () => workerMemoryPerWebhook({ count: 100_000, tenants: 10_000 }),
  'new-webhook-among-100k': () => newWebhookFirstDelivery({ count: 100_000, tries: 10 }),
  'dead-letter-filter-100k': () => deadLetterFilterCost(SIZE(100_000)),
  'partitions-single-drain-60w': () => singleRedisDrain(harness(), { events: SIZE(5_000) }),
  'partitions-cluster-drain-60w': () => clusterDrain(harness(), { events: SIZE(5_000) }),
  'fifo-100-keys-drain-2w': () => fifoDrain(harness(), { events: SIZE(20_000), workers: 2, keys: 100, maxInFlight: CONCURRENCY }),
};

/** What bench/partitions.mjs uses of this harness. */
function harness() {
  return {
    freePort, until, startApi, stop, startWorkers, resetReceiver, receiver, waitForDeliveries, cpuSeconds, commandCounts, commandsPerDelivery,
    redis, redisPid: redisProcess.pid, TARGET, shared: require('@herald/shared'),
  };
}
const chosen = options.scenarios ? options.scenarios.split(',') : Object.keys(SCENARIOS);

/** The figures the goals are stated in, from the results of this run. */
function ratios(results) {
  const find = (name) => results.find((r) => r.scenario === name);
  for (const result of results) {
    const workers = /-(\d)w$/.exec(result.scenario)?.[1] ?? (result.scenario === 'herald-fanout-10x' ? '2' : undefined);
    const base = workers && find(`ceiling-${workers}`)?.deliveriesPerSecond;
    if (base) result.ratioToCeiling = Math.round((result.deliveriesPerSecond / base) * 100) / 100;
  }
  const lines = [];
  const oneWebhook = find('herald-drain-2w')?.deliveriesPerSecond;
  for (const name of ['tenant-10k-webhooks-drain-2w', 'tenant-100k-webhooks-drain-2w']) {
    const rate = find(name)?.deliveriesPerSecond;
    if (oneWebhook && rate) lines.push(`${name}: ${rate}/s = ${Math.round((rate / oneWebhook) * 100) / 100} × herald-drain-2w's ${oneWebhook}/s (one webhook alone)`);
  }
  const fifo = find('fifo-100-keys-drain-2w');
  if (fifo && oneWebhook) lines.push(`fifo-100-keys-drain-2w: ${fifo.deliveriesPerSecond}/s over ${fifo.keys} lines (${fifo.deliveriesPerLinePerSecond}/s per line) = ${Math.round((fifo.deliveriesPerSecond / oneWebhook) * 100) / 100} × herald-drain-2w's ${oneWebhook}/s without ordering; ${fifo.redisCommandsPerDelivery} Redis commands per delivery`);
  const filtered = find('filtered-1k-webhooks-drain-2w');
  if (filtered) lines.push(`filtered-1k-webhooks-drain-2w: ${filtered.deliveriesPerSecond}/s beside 1,000 webhooks whose filters refuse everything = ${filtered.ratioToAlone} × ${filtered.aloneDeliveriesPerSecond}/s for the webhook alone (best of ${filtered.rounds.alone.length} alternating rounds each, same run)`);
  const oneDown = find('one-endpoint-down-20k');
  if (oneDown) lines.push(`one endpoint down: ${oneDown.bytesPerWaitingDelivery} B of Redis per waiting delivery = the ${oneDown.storedEventBytes} B event + ${oneDown.bytesPerWaitingDelivery - oneDown.storedEventBytes} B; drained ${oneDown.drainMs} ms after it answered again (cool-down ${oneDown.cooldownMs} ms)`);
  const tenDown = find('ten-endpoints-down-2k');
  if (oneDown && tenDown) lines.push(`ten endpoints down sharing each event: ${Math.round((tenDown.bytesPerEvent - oneDown.bytesPerEvent) / 9)} B of Redis per extra delivery`);
  const bareP99 = find('bare-queue-500eps-latency')?.latencyMs?.p99;
  for (const name of ['herald-500eps-latency', 'herald-500eps-latency-stream']) {
    const p99 = find(name)?.latencyMs?.p99;
    if (bareP99 && p99 !== undefined) lines.push(`${name}: p99 ${p99} ms = ${Math.round((p99 / bareP99) * 100) / 100} × the bare queue's ${bareP99} ms`);
  }
  const single = find('partitions-single-drain-60w');
  const clustered = find('partitions-cluster-drain-60w');
  if (clustered) {
    const spread = Math.round(Math.max(...clustered.commandShareOfMean.map((share) => Math.abs(share - 1))) * 100);
    lines.push(`partitions on ${clustered.masters} masters (${clustered.partitions} partitions): each master's share of the commands ${clustered.commandShareOfMean.join(' / ')} of the mean (at most ±${spread} %); ${clustered.redisCpuMicrosPerDelivery} µs of master CPU per delivery = ${clustered.deliveriesPerRedisCoreSecond} deliveries/s per master core`);
  }
  if (single && clustered) {
    lines.push(`commands per delivery: ${clustered.redisCommandsPerDelivery} summed over the masters = ${Math.round((clustered.redisCommandsPerDelivery / single.redisCommandsPerDelivery) * 100) / 100} × one Redis's ${single.redisCommandsPerDelivery} (${single.redisCpuMicrosPerDelivery} µs, ${single.deliveriesPerRedisCoreSecond} deliveries/s per core)`);
  }
  const alone = find('neighbour-alone')?.latencyMs?.p95;
  const hung = find('neighbour-hang')?.latencyMs?.p95;
  if (alone && hung !== undefined) lines.push(`healthy endpoint p95 with a hanging neighbour: ${hung} ms = ${Math.round((hung / alone) * 100) / 100} × its ${alone} ms alone`);
  return lines;
}

try {
  for (const name of chosen) {
    process.stderr.write(`running ${name}…\n`);
    results.push({ scenario: name, ...(await SCENARIOS[name]()) });
  }
  const summary = ratios(results);
  const rows = results.map((r) => ({
    scenario: r.scenario,
    'deliveries/s': r.deliveriesPerSecond ?? '',
    'x ceiling': r.ratioToCeiling ?? '',
    'p50 ms': r.latencyMs?.p50 ?? '',
    'p95 ms': r.latencyMs?.p95 ?? '',
    'p99 ms': r.latencyMs?.p99 ?? '',
    'redis cmds/delivery': r.redisCommandsPerDelivery ?? '',
    'peak RSS MiB': r.peakRssMiB ? JSON.stringify(r.peakRssMiB) : '',
    'CPU s': r.cpuSeconds ? JSON.stringify(r.cpuSeconds) : '',
    'bytes/queued delivery': r.bytesPerQueuedDelivery ?? '',
  }));
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => String(row[c]).length)));
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ');
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((c) => row[c])));
  for (const text of summary) console.log(text);
  for (const r of results.filter((r) => r.perNode || r.webhooks || r.webhooksInTenant || r.deadLetters || r.memoryMiB || r.singleEventsPerSecond || r.lost !== undefined || r.bytesPerWaitingDelivery || r.bytesPerDeadLetter)) {
    const { scenario, ...figures } = r;
    console.log(`${scenario}: ${JSON.stringify(figures)}`);
  }
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const file = join(root, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), concurrency: CONCURRENCY, quick: options.quick, results, summary }, null, 2));
  console.log(`\nwritten to ${file}`);
} finally {
  await stop([...running].filter((c) => c !== receiver));
  receiver.kill('SIGTERM');
  redis.disconnect();
  redisProcess.kill('SIGTERM');
  await exited(redisProcess);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
