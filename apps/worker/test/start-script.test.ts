// scripts/start.sh, the local run: one worker leaving (SIGTERM, as when scaling in) is reported,
// and the API and the other worker keep running.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TEST_ADMIN_TOKEN,
  apiClient,
  createWebhook,
  freePort,
  publish,
  startReceiver,
  testRedisUrl,
  uniquePrefix,
  waitFor,
  type Receiver,
} from '@herald/testing';

const REPO_ROOT = join(__dirname, '..', '..', '..');

let script: ChildProcess | undefined;
let scriptExited: Promise<number | null> | undefined;
let dataDir: string | undefined;
let hook: Receiver | undefined;
let started: number[] = [];

afterAll(async () => {
  if (script && script.exitCode === null) {
    script.kill('SIGTERM');
    await scriptExited;
  }
  // Whatever the script left behind (it should leave nothing) goes too.
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await hook?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The script's child processes running `entry`, by pid. */
function childrenRunning(parent: number, entry: string): number[] {
  let listing = '';
  try {
    listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return listing
    .split('\n')
    .filter((line) => line.includes(entry))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('keeps the API and the other worker running when one worker exits, and reports the exit', async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'herald-start-'));
  const apiPort = await freePort();
  let output = '';
  script = spawn('bash', [join(REPO_ROOT, 'scripts', 'start.sh')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      REDIS_URL: testRedisUrl(),
      HERALD_PREFIX: uniquePrefix('start-script'),
      HERALD_API_PORT: String(apiPort),
      HERALD_METRICS_PORT: String(await freePort()),
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_WORKERS: '2',
      HERALD_DATA_DIR: dataDir,
      // The test run has installed and built everything already.
      HERALD_SKIP_INSTALL: 'true',
      HERALD_CLAIM_IDLE_MS: '1500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  script.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  script.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  scriptExited = new Promise((resolve) => script!.once('exit', (code) => resolve(code)));
  const pid = script.pid as number;

  await waitFor(() => output.includes('Herald is running.'), { timeoutMs: 120_000, message: () => `start.sh to say Herald runs; output:\n${output}` });
  const [api] = childrenRunning(pid, 'apps/api/dist/index.js');
  const workers = childrenRunning(pid, 'apps/worker/dist/index.js');
  started = [...(api ? [api] : []), ...workers];
  expect(api).toBeDefined();
  expect(workers).toHaveLength(2);
  const [leaving, staying] = workers as [number, number];

  process.kill(leaving, 'SIGTERM');
  await waitFor(() => !alive(leaving), { timeoutMs: 30_000, message: 'the worker to drain and exit' });
  await waitFor(() => /worker .*exited/i.test(output), { message: () => `start.sh to report the exit; output:\n${output}` });
  expect(output).toMatch(new RegExp(`pid ${leaving}\\b.*status 0`));

  expect(script.exitCode).toBeNull();
  expect(alive(staying)).toBe(true);
  expect(alive(api as number)).toBe(true);
  // The run still delivers: the worker left takes the event.
  hook = await startReceiver();
  const client = apiClient(`http://127.0.0.1:${apiPort}`, TEST_ADMIN_TOKEN, { timeoutMs: 10_000 });
  await createWebhook(client, { url: hook.url });
  await publish(client, { type: 'after.scale.in' });
  await hook.waitForRequests(1, { timeoutMs: 20_000 });

  // Ctrl-C (here SIGTERM) still stops what is left.
  script.kill('SIGTERM');
  await scriptExited;
  await waitFor(() => !alive(staying) && !alive(api as number), { timeoutMs: 30_000, message: 'the rest to stop with the script' });
}, 180_000);
