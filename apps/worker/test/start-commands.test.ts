// The documented ways to start the built apps stop on SIGTERM, as under a supervisor (systemd,
// a container runtime): no Herald process of theirs may be left running, and each drains and
// exits 0. A wrapper that dies on SIGTERM without passing it on would orphan its node.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ADMIN_TOKEN, WaitAborted, freePort, testRedisUrl, uniquePrefix, waitFor } from '@herald/testing';

const REPO_ROOT = join(__dirname, '..', '..', '..');

type App = 'api' | 'worker';

const COMMANDS: [App, string[]][] = [
  ['api', ['node', 'apps/api/dist/index.js']],
  ['worker', ['node', 'apps/worker/dist/index.js']],
  ['api', ['node_modules/.bin/herald-api']],
  ['worker', ['node_modules/.bin/herald-worker']],
  // The form of earlier versions' documentation, still in use.
  ['api', ['pnpm', '--filter', '@herald/api', 'start']],
  ['worker', ['pnpm', '--filter', '@herald/worker', 'start']],
];

/** Every process under `root` (itself included), by walking the process table's parent links. */
function processTree(root: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of table) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** Whether `pid` still runs (a zombie, exited but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

it('documents starting the built apps with node and their bins', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const [, command] of COMMANDS.slice(0, 4)) expect(readme).toContain(command.join(' '));
});

it.each(COMMANDS)('%s: `%s` stops on SIGTERM, leaving no process behind', async (app, command) => {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    COREPACK_INTEGRITY_KEYS: '0',
    COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
    REDIS_URL: testRedisUrl(),
    HERALD_PREFIX: uniquePrefix(`start-${app}`),
    HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    ...(app === 'api' ? { HERALD_API_PORT: String(port), HERALD_API_HOST: '127.0.0.1' } : { HERALD_METRICS_PORT: String(port), HERALD_METRICS_HOST: '127.0.0.1' }),
  };
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  let tree: number[] = [];
  try {
    await waitFor(
      () => {
        if (spawnError || child.exitCode !== null) throw new WaitAborted(`${command.join(' ')} did not start: ${spawnError?.message ?? output}`);
        return ready(`http://127.0.0.1:${port}/readyz`);
      },
      {
        timeoutMs: 30_000,
        message: () => `${command.join(' ')} to answer /readyz; output:\n${output}`,
      },
    );
    tree = processTree(child.pid as number);
    child.kill('SIGTERM');
    await waitFor(() => tree.every((pid) => !running(pid)), {
      timeoutMs: 30_000,
      message: () => `every process of ${command.join(' ')} to exit; still running: ${tree.filter(running).join(', ')}`,
    });
    expect(await exited).toBe(0);
  } finally {
    for (const pid of [...(child.pid ? [child.pid] : []), ...tree]) if (running(pid)) process.kill(pid, 'SIGKILL');
  }
}, 90_000);
