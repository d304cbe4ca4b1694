// Starts the built API and worker as real child processes and waits until they say they run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WaitAborted, waitFor } from './wait';

const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface HeraldProcess {
  child: ChildProcess;
  /** Everything the process printed, stdout and stderr. */
  output(): string;
  /** Parsed pino lines so far. */
  logs(): Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function spawnApp(app: 'api' | 'worker', env: Record<string, string>): HeraldProcess {
  const entry = join(REPO_ROOT, 'apps', app, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "pnpm build" before the integration tests`);
  const child = spawn(process.execPath, [entry], {
    // Every script call checks that its keys share a hash slot, as Redis Cluster would (lua-script.ts).
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', HERALD_ASSERT_ONE_SLOT: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      // HERALD_TEST_OUTPUT=1 shows what each process printed, for debugging a failing test.
      if (process.env.HERALD_TEST_OUTPUT === '1') process.stderr.write(`--- ${app} ${child.pid} exited ${code} ---\n${output}\n`);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => output,
    logs: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** Waits for a log line with `msg`; fails early, with the output, if the process exits first. */
export async function waitForLog(proc: HeraldProcess, msg: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return waitFor(
    () => {
      if (proc.child.exitCode !== null) throw new WaitAborted(`process exited with ${proc.child.exitCode}`);
      return proc.logs().find((line) => line.msg === msg);
    },
    { timeoutMs, message: `log "${msg}"` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${proc.output()}`);
  });
}

export interface RunningApi extends HeraldProcess {
  url: string;
  token: string;
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function startApi(env: Record<string, string>): Promise<RunningApi> {
  const proc = spawnApp('api', { HERALD_API_PORT: '0', HERALD_API_HOST: '127.0.0.1', HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env });
  const line = await waitForLog(proc, 'herald api listening');
  return { ...proc, url: `http://127.0.0.1:${String(line.port)}`, token: env.HERALD_ADMIN_TOKEN ?? TEST_ADMIN_TOKEN };
}

export interface RunningWorker extends HeraldProcess {
  metricsUrl: string;
}

export async function startWorker(env: Record<string, string>): Promise<RunningWorker> {
  const proc = spawnApp('worker', { HERALD_METRICS_PORT: '0', HERALD_METRICS_HOST: '127.0.0.1', ...env });
  const metricsLine = await waitForLog(proc, 'worker metrics listening');
  await waitForLog(proc, 'herald worker running');
  return { ...proc, metricsUrl: `http://127.0.0.1:${String(metricsLine.port)}` };
}
