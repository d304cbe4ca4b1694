// The container images, built here with scripts/build-images.sh (buildah, no Docker engine) and run
// once each with `buildah run` against the run's redis-server: the API answers /readyz and serves
// the console, the worker serves /metrics, and between them an event reaches a receiver.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  TEST_ADMIN_TOKEN,
  WaitAborted,
  apiClient,
  createWebhook,
  freePort,
  publish,
  startReceiver,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from '@herald/testing';
import { REPO_ROOT, run } from './support/release';

const TAG = `test-${randomBytes(3).toString('hex')}`;
const image = (app: App) => `localhost/herald-${app}:${TAG}`;
type App = 'api' | 'worker';

/** What `buildah inspect` says of an image's configuration (docker format). */
interface ImageConfig {
  User: string;
  Cmd: string[];
  WorkingDir: string;
  ExposedPorts: Record<string, unknown>;
  Healthcheck?: { Test: string[] };
}

const containers: string[] = [];
const running: ChildProcess[] = [];
let built = false;

async function buildah(args: string[]): Promise<string> {
  const result = await run('buildah', args);
  if (result.code !== 0) throw new Error(`buildah ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** A working container of `app`'s image, removed after the tests. */
async function container(app: App): Promise<string> {
  const name = await buildah(['from', '--name', `herald-${app}-${TAG}-${containers.length}`, image(app)]);
  containers.push(name);
  return name;
}

async function config(app: App): Promise<ImageConfig> {
  return (JSON.parse(await buildah(['inspect', '--type', 'image', image(app)])) as { Docker: { config: ImageConfig } }).Docker.config;
}

/** Runs the image's own command, as a container runtime would, with `env`; on this host's network. */
async function runImage(app: App, env: Record<string, string>): Promise<{ child: ChildProcess; output(): string }> {
  const { Cmd } = await config(app);
  const name = await container(app);
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const child = spawn('buildah', ['run', '--isolation', 'chroot', ...envArgs, name, '--', ...Cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function answers(url: string): Promise<Response | false> {
  try {
    const response = await fetch(url);
    return response.ok && response;
  } catch {
    return false;
  }
}

/** "144 MB" → bytes (buildah writes sizes in decimal units). */
function bytes(size: string): number {
  const match = /^([\d.]+)\s*(B|kB|MB|GB)$/.exec(size.trim());
  if (!match) throw new Error(`unreadable size: ${size}`);
  return Number(match[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[match[2] as 'B' | 'kB' | 'MB' | 'GB'];
}

beforeAll(async () => {
  // A fresh machine makes the stand-in base image first (debootstrap): minutes, once.
  const result = await run('bash', [join(REPO_ROOT, 'scripts', 'build-images.sh'), '--tag', TAG, 'api', 'worker'], { timeoutMs: 25 * 60_000 });
  if (result.code !== 0) throw new Error(`scripts/build-images.sh failed:\n${result.stderr}`);
  built = true;
}, 25 * 60_000);

afterAll(async () => {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
  for (const name of containers) await run('buildah', ['rm', name]);
  // The tagged images go; the layers they share with the next build stay cached.
  if (built) await run('buildah', ['rmi', image('api'), image('worker')]);
}, 60_000);

it.each([
  ['api', '8080/tcp'],
  ['worker', '9464/tcp'],
] as const)('builds the %s image in the docker format: non-root, its HEALTHCHECK kept', async (app, port) => {
  const { User, Cmd, WorkingDir, ExposedPorts, Healthcheck } = await config(app);
  expect({ User, Cmd, WorkingDir, ports: Object.keys(ExposedPorts) }).toEqual({ User: 'node', Cmd: ['node', 'dist/index.js'], WorkingDir: '/app', ports: [port] });
  expect(Healthcheck?.Test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  expect(Healthcheck?.Test[3]).toContain('/readyz');
});

it.each(['api', 'worker'] as const)('ships the %s with Node and its production dependencies, nothing to build or install with', async (app) => {
  const root = await buildah(['mount', await container(app)]);
  try {
    expect(existsSync(join(root, 'usr/local/bin/node'))).toBe(true);
    expect(existsSync(join(root, 'app/dist/index.js'))).toBe(true);
    expect(existsSync(join(root, 'app/node_modules/bullmq/package.json'))).toBe(true);
    // No shell, no npm or corepack, no pnpm store, no build tools, no sources.
    for (const path of ['bin/sh', 'usr/bin/apt-get', 'usr/local/lib/node_modules', 'root/.local/share/pnpm', 'app/src', 'app/test']) {
      expect({ path, present: existsSync(join(root, path)) }).toEqual({ path, present: false });
    }
    const packages = readdirSync(join(root, 'app/node_modules/.pnpm'));
    const unwanted = packages.filter((name) => /^(typescript|@swc\+|esbuild|@esbuild\+|jest|@jest\+|turbo|vite|redoc|react|core-js)@/.test(name));
    expect(unwanted).toEqual([]);
    if (app === 'api') {
      // The console's files, and Redoc's one script without the rest of redoc (React, core-js …).
      expect(existsSync(join(root, 'app/node_modules/@herald/admin/dist/index.html'))).toBe(true);
      expect(existsSync(join(root, 'app/dist/vendor/redoc/redoc.standalone.js'))).toBe(true);
    }
  } finally {
    await run('buildah', ['umount', containers[containers.length - 1]!]);
  }
  // Node itself is about 100 MB of it: the base image's Debian, npm and corepack stay in the build.
  expect(bytes(await buildah(['images', '--format', '{{.Size}}', image(app)]))).toBeLessThan(180e6);
});

it('runs both images against Redis: the API is ready and serves the console, the worker serves /metrics and delivers', async () => {
  const apiPort = await freePort();
  const metricsPort = await freePort();
  // The receiver is plain http on loopback: production (the images' default) would refuse it.
  const env = { REDIS_URL: testRedisUrl(), HERALD_PREFIX: uniquePrefix('images'), NODE_ENV: 'development', HERALD_ALLOW_PRIVATE_TARGETS: 'true' };
  const api = await runImage('api', { ...env, HERALD_API_PORT: String(apiPort), HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  const worker = await runImage('worker', { ...env, HERALD_METRICS_PORT: String(metricsPort), HERALD_CLAIM_IDLE_MS: '1500' });
  /** Waits for `url` to answer 2xx, giving up at once if the container serving it exits. */
  const served = (url: string, from: { child: ChildProcess; output(): string }) =>
    waitFor(
      () => {
        if (from.child.exitCode !== null) throw new WaitAborted(`the container exited with ${from.child.exitCode}:\n${from.output()}`);
        return answers(url);
      },
      { timeoutMs: 60_000, message: () => `${url} to answer; output:\n${from.output()}` },
    );

  const readiness = await served(`http://127.0.0.1:${apiPort}/readyz`, api);
  expect(await readiness.json()).toMatchObject({ status: 'ready' });
  const page = await served(`http://127.0.0.1:${apiPort}/admin/`, api);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await answers(`http://127.0.0.1:${apiPort}/docs/redoc.standalone.js`)).toBeTruthy();

  const metrics = await served(`http://127.0.0.1:${metricsPort}/metrics`, worker);
  expect(await metrics.text()).toContain('herald_deliveries_total');

  const hook = await startReceiver();
  try {
    const client = apiClient(`http://127.0.0.1:${apiPort}`, TEST_ADMIN_TOKEN, { timeoutMs: 10_000 });
    await createWebhook(client, { url: hook.url, events: ['image.checked'] });
    await publish(client, { type: 'image.checked', data: { ok: true } });
    const [delivery] = await hook.waitForRequests(1, { timeoutMs: 30_000 });
    expect(delivery!.headers['x-herald-event']).toBe('image.checked');
  } finally {
    await hook.close();
  }
}, 180_000);
