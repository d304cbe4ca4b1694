// `pnpm bench`: Herald's throughput and latency against the bare BullMQ + undici ceiling, measured
// in the same run on the same machine. Starts its own redis-server, a receiver, the API and the
// workers as separate processes; prints a table and writes JSON to bench-results/.
//
// Options: --scenarios a,b,…  (default: all; see SCENARIOS) --concurrency 50 --quick (smaller sizes)
//          --events N (every scenario's event count)
// Needs `pnpm build` first and redis-server on PATH.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createDeliveryQueue, deliveryJob, newEventId, redisKeys, DeadLetterStore, WebhookStore, webhookCreateSchema, DEFAULT_RETRY_POLICY } =
  require('@herald/shared');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { WebhookCache } = require(join(root, 'apps/worker/dist/webhook-cache.js'));
const { values: options } = parseArgs({
  options: {
    scenarios: { type: 'string' },
    concurrency: { type: 'string', default: '50' },
    quick: { type: 'boolean', default: false },
    /** Overrides every scenario's event count. */
    events: { type: 'string' },
  },
});
const CONCURRENCY = Number(options.concurrency);
const SIZE = (n) => (options.events ? Number(options.events) : options.quick ? Math.max(500, Math.round(n / 10)) : n);
const TOKEN = 'bench-admin-token-0123456789';

// ---------------------------------------------------------------- processes

/** BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles Herald's and the bare pipeline's workers. */
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
    start(join(root, 'bench/ceiling-worker.mjs'), [], { REDIS_URL, QUEUE: queueName, TARGET, CONCURRENCY: String(CONCURRENCY) }, { ipc: true }),
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
  const cpuProcesses = { redis: [redisProcess.pid], receiver: [receiver.pid], ...processes };
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

/**
 * SPEC §2's data flow bare (bench/bare-pipeline-worker.mjs: stream → fan-out → addBulk → BullMQ →
 * POST, nothing else), `processes` processes, events written straight to the stream as in
 * herald-2w-stream. It shows how much of the gap to the ceiling the architecture itself costs.
 */
async function barePipeline({ events, processes, rate = 0, warmupEvents = 0 }) {
  const prefix = `bare${++prefixCounter}`;
  const workers = Array.from({ length: processes }, () =>
    start(join(root, 'bench/bare-pipeline-worker.mjs'), [], { REDIS_URL, PREFIX: prefix, TARGET, CONCURRENCY: String(CONCURRENCY) }, { ipc: true, nodeArgs: workerNodeArgs() }),
  );
  await Promise.all(workers.map((worker) => message(worker, 'ready')));
  const measured = await measureLoad({
    events, rate, warmupEvents, publish: streamPublisher(`${prefix}:events`), processes: { workers: workers.map((w) => w.pid) },
  });
  const rss = workers.map((w) => peakRssMiB(w.pid));
  await stop(workers);
  return { ...measured, peakRssMiB: { worker: rss } };
}

/** Herald end to end: API + `workers` worker processes, `webhooks` webhooks, `events` events. */
async function herald({ events, webhooks = 1, workers = 1, via = 'api', rate = 0, breaker = false, warmupEvents = 0 }) {
  const prefix = `bench${++prefixCounter}`;
  const apiPort = await freePort();
  const env = {
    REDIS_URL, HERALD_PREFIX: prefix, HERALD_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', HERALD_ALLOW_PRIVATE_TARGETS: 'true',
    HERALD_WORKER_CONCURRENCY: String(CONCURRENCY),
  };
  const api = start(join(root, 'apps/api/dist/index.js'), [], { ...env, HERALD_API_PORT: String(apiPort), HERALD_API_HOST: '127.0.0.1' }, { nodeArgs: apiNodeArgs() });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await until(async () => (await fetch(`${apiUrl}/readyz`)).ok, 15_000, `the API\n${api.output()}`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  for (let w = 0; w < webhooks; w++) {
    const response = await fetch(`${apiUrl}/v1/webhooks`, {
      method: 'POST', headers, body: JSON.stringify({ url: `${TARGET}?w=${w}`, circuitBreaker: { enabled: breaker } }),
    });
    if (response.status !== 201) throw new Error(await response.text());
  }
  const workerProcs = [];
  for (let i = 0; i < workers; i++) {
    const metricsPort = await freePort();
    const worker = start(join(root, 'apps/worker/dist/index.js'), [], { ...env, HERALD_METRICS_PORT: String(metricsPort), HERALD_METRICS_HOST: '127.0.0.1' }, { nodeArgs: workerNodeArgs() });
    workerProcs.push(worker);
    await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok, 15_000, `worker ${i}\n${worker.output()}`);
  }
  const publish =
    via === 'stream'
      ? streamPublisher(`${prefix}:events`)
      : async (batch) => {
          const response = await fetch(`${apiUrl}/v1/events/batch`, { method: 'POST', headers, body: JSON.stringify({ events: batch }) });
          if (response.status !== 202) throw new Error(`publish: ${response.status}`);
        };
  const measured = await measureLoad({
    events, fanOut: webhooks, rate, warmupEvents, publish, processes: { api: [api.pid], workers: workerProcs.map((w) => w.pid) },
  });
  const rss = { api: peakRssMiB(api.pid), workers: workerProcs.map((w) => peakRssMiB(w.pid)) };
  await stop([...workerProcs, api]);
  const stages = rate > 0 ? await stageTimings(prefix, events) : undefined;
  return { ...measured, peakRssMiB: rss, ...(stages ? { stageMs: stages } : {}) };
}

/**
 * Where the time between publish and delivery goes, read from the completed jobs of the last
 * `count` events: publish → accepted (API, or XADD time for stream entries) → job added (fan-out)
 * → active (a worker took it) → finished (POST answered and attempt recorded). p50 / p99 each.
 */
async function stageTimings(prefix, count) {
  const ids = await redis.zrevrange(`${prefix}:deliveries:completed`, 0, count - 1);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:deliveries:${id}`, 'data', 'timestamp', 'processedOn', 'finishedOn');
  const stages = { accepted: [], fannedOut: [], active: [], finished: [] };
  for (const [error, [data, timestamp, processedOn, finishedOn]] of await pipeline.exec()) {
    if (error || !data) continue;
    const { event } = JSON.parse(data);
    stages.accepted.push(event.receivedAt - event.data.sentAt);
    stages.fannedOut.push(Number(timestamp) - event.receivedAt);
    stages.active.push(Number(processedOn) - Number(timestamp));
    stages.finished.push(Number(finishedOn) - Number(processedOn));
  }
  return Object.fromEntries(Object.entries(stages).map(([name, values]) => {
    const { p50, p99 } = quantiles(values);
    return [name, `${p50} / ${p99}`];
  }));
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
  for (let i = 0; i < 5; i++) firstLoads.push(await timed(() => new WebhookCache(store).refresh(0)));
  const cache = new WebhookCache(store);
  await cache.refresh(0);
  const catchUps = [];
  for (let i = 0; i < 5; i++) {
    await store.update(made[i].id, { url: `https://example.com/changed-${i}` });
    catchUps.push(await timed(() => cache.refresh(0)));
  }
  await redis.del(keys.webhooks, keys.webhooksVersion, keys.webhookChanges, keys.webhookChangesTrimmed);
  return { webhooks: count, allWebhooksLoadMs: round(median(firstLoads)), oneChangeCatchUpMs: round(median(catchUps)), fullReloads: cache.fullReloads };
}

/**
 * A page of 50 dead letters filtered by webhook or tenant, among `count` dead letters of 100
 * webhooks and 10 tenants: through the index of all dead letters (how listings ran before the
 * per-webhook and per-tenant indexes) and through those indexes. Milliseconds.
 */
async function deadLetterFilterCost(count) {
  const keys = redisKeys(`bench${++prefixCounter}`);
  const store = new DeadLetterStore(redis, keys);
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
const SCENARIOS = {
  'ceiling-1': () => ceiling(SIZE(20_000), 1),
  'ceiling-2': () => ceiling(SIZE(20_000), 2),
  'bare-pipeline-1': () => barePipeline({ events: SIZE(20_000), processes: 1 }),
  'bare-pipeline-2': () => barePipeline({ events: SIZE(20_000), processes: 2 }),
  'bare-pipeline-500eps-latency': () => barePipeline({ events: LATENCY_EVENTS, processes: 2, rate: 500, warmupEvents: 1_000 }),
  'herald-1w-api': () => herald({ events: SIZE(20_000), workers: 1 }),
  'herald-2w-api': () => herald({ events: SIZE(20_000), workers: 2 }),
  'herald-1w-stream': () => herald({ events: SIZE(20_000), workers: 1, via: 'stream' }),
  'herald-2w-stream': () => herald({ events: SIZE(20_000), workers: 2, via: 'stream' }),
  // The default webhook: circuit breaker on, one admission script per delivery.
  'herald-2w-api-breaker': () => herald({ events: SIZE(20_000), workers: 2, breaker: true }),
  'herald-fanout-10x': () => herald({ events: SIZE(5_000), webhooks: 10, workers: 2 }),
  'herald-500eps-latency': () => herald({ events: LATENCY_EVENTS, workers: 2, rate: 500, warmupEvents: 1_000 }),
  'herald-500eps-latency-1w': () => herald({ events: LATENCY_EVENTS, workers: 1, rate: 500, warmupEvents: 1_000 }),
  'herald-500eps-latency-stream': () => herald({ events: LATENCY_EVENTS, workers: 2, rate: 500, warmupEvents: 1_000, via: 'stream' }),
  'memory-per-queued-delivery': () => memoryPerQueuedJob(SIZE(20_000)),
  'webhook-change-10k': () => webhookChangeCost(SIZE(10_000)),
  'dead-letter-filter-100k': () => deadLetterFilterCost(SIZE(100_000)),
};
const chosen = options.scenarios ? options.scenarios.split(',') : Object.keys(SCENARIOS);

try {
  for (const name of chosen) {
    if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.stderr.write(`running ${name}…\n`);
    results.push({ scenario: name, ...(await SCENARIOS[name]()) });
  }
  const ceilingFor = (workers) => results.find((r) => r.scenario === `ceiling-${workers}`)?.deliveriesPerSecond;
  for (const result of results) {
    const workers =
      /-(\d)w-/.exec(result.scenario)?.[1] ?? /^bare-pipeline-(\d)$/.exec(result.scenario)?.[1] ?? (result.scenario.includes('fanout') || result.scenario.includes('500eps') ? '2' : undefined);
    const base = workers ? ceilingFor(workers) : undefined;
    // The fixed-load latency run is limited by its offered load, not by Herald: no ratio.
    if (base && !result.scenario.startsWith('ceiling') && !result.scenario.includes('eps')) result.ratioToCeiling = Math.round((result.deliveriesPerSecond / base) * 100) / 100;
  }
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
  for (const r of results.filter((r) => r.stageMs)) console.log(`${r.scenario} stages, p50 / p99 ms: ${JSON.stringify(r.stageMs)}`);
  for (const r of results.filter((r) => r.webhooks || r.deadLetters)) {
    const { scenario, ...figures } = r;
    console.log(`${scenario}: ${JSON.stringify(figures)}`);
  }
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const file = join(root, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), concurrency: CONCURRENCY, quick: options.quick, results }, null, 2));
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
