// scripts/start.sh, the local run: one worker leaving (SIGTERM, as when scaling in) is reported,
// and the API and the other worker keep running; its own Redis dying is reported too; Ctrl-C and
// SIGTERM stop everything and exit 0.
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

interface ScriptRun {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code, or the signal's name if a signal ended the script. */
  exited: Promise<number | string | null>;
}

const scripts: ScriptRun[] = [];
const dataDirs: string[] = [];
let hook: Receiver | undefined;
const started: number[] = [];

afterAll(async () => {
  for (const script of scripts) {
    if (script.child.exitCode === null && script.child.signalCode === null) {
      script.child.kill('SIGTERM');
      await script.exited;
    }
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
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs scripts/start.sh with `env` (and what every run needs) and waits until it says Herald runs. */
async function startScript(env: Record<string, string>): Promise<ScriptRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-start-'));
  dataDirs.push(dataDir);
  let output = '';
  const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'start.sh')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      HERALD_METRICS_PORT: String(await freePort()),
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_DATA_DIR: dataDir,
      // The test run has installed and built everything already.
      HERALD_SKIP_INSTALL: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const script = { child, pid: child.pid as number, output: () => output, exited };
  scripts.push(script);
  await waitFor(() => output.includes('Herald is running.') || child.exitCode !== null, {
    timeoutMs: 120_000,
    message: () => `start.sh to say Herald runs; output:\n${output}`,
  });
  expect(output).toContain('Herald is running.');
  return script;
}

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

it('keeps the API and the other worker running when one worker exits, reports the exit, and stops on Ctrl-C with status 0', async () => {
  const apiPort = await freePort();
  const script = await startScript({
    REDIS_URL: testRedisUrl(),
    HERALD_PREFIX: uniquePrefix('start-script'),
    HERALD_API_PORT: String(apiPort),
    HERALD_WORKERS: '2',
    HERALD_CLAIM_IDLE_MS: '1500',
  });
  const [api] = childrenRunning(script.pid, 'apps/api/dist/index.js');
  const workers = childrenRunning(script.pid, 'apps/worker/dist/index.js');
  started.push(...(api ? [api] : []), ...workers);
  expect(api).toBeDefined();
  expect(workers).toHaveLength(2);
  const [leaving, staying] = workers as [number, number];

  process.kill(leaving, 'SIGTERM');
  await waitFor(() => !alive(leaving), { timeoutMs: 30_000, message: 'the worker to drain and exit' });
  await waitFor(() => /worker .*exited/i.test(script.output()), { message: () => `start.sh to report the exit; output:\n${script.output()}` });
  expect(script.output()).toMatch(new RegExp(`pid ${leaving}\\b.*status 0`));

  expect(script.child.exitCode).toBeNull();
  expect(alive(staying)).toBe(true);
  expect(alive(api as number)).toBe(true);
  // The run still delivers: the worker left takes the event.
  hook = await startReceiver();
  const client = apiClient(`http://127.0.0.1:${apiPort}`, TEST_ADMIN_TOKEN, { timeoutMs: 10_000 });
  await createWebhook(client, { url: hook.url });
  await publish(client, { type: 'after.scale.in' });
  await hook.waitForRequests(1, { timeoutMs: 20_000 });

  // Ctrl-C: the terminal's SIGINT reaches the script alone (its children run in sessions of their own).
  script.child.kill('SIGINT');
  expect(await script.exited).toBe(0);
  expect(script.output()).not.toMatch(/unbound variable/);
  expect(script.output()).toContain('stopped');
  await waitFor(() => !alive(staying) && !alive(api as number), { timeoutMs: 30_000, message: 'the rest to stop with the script' });
}, 180_000);

it('reports its own Redis dying, keeps the API and the worker running, and stops on SIGTERM with status 0', async () => {
  const script = await startScript({ HERALD_REDIS_PORT: String(await freePort()), HERALD_API_PORT: String(await freePort()), HERALD_WORKERS: '1' });
  const [redis] = childrenRunning(script.pid, 'redis-server');
  const [api] = childrenRunning(script.pid, 'apps/api/dist/index.js');
  const [worker] = childrenRunning(script.pid, 'apps/worker/dist/index.js');
  started.push(...[redis, api, worker].filter((pid): pid is number => pid !== undefined));
  expect([redis, api, worker].every((pid) => pid !== undefined)).toBe(true);

  process.kill(redis as number, 'SIGKILL');
  await waitFor(() => /redis-server .*exited/i.test(script.output()), { message: () => `start.sh to report Redis's exit; output:\n${script.output()}` });
  expect(script.output()).toMatch(new RegExp(`redis-server \\(pid ${redis}\\) exited with status 137.*redis\\.log`));
  // Without Redis the API answers 503 and the worker waits for it: the run goes on, to be restarted or stopped.
  expect(script.child.exitCode).toBeNull();
  expect(alive(api as number) && alive(worker as number)).toBe(true);

  script.child.kill('SIGTERM');
  expect(await script.exited).toBe(0);
  expect(script.output()).not.toMatch(/unbound variable/);
  await waitFor(() => !alive(api as number) && !alive(worker as number), { timeoutMs: 30_000, message: 'the API and the worker to stop with the script' });
}, 180_000);
