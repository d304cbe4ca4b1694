// The command line when Redis is full (at maxmemory, noeviction), against a real API on a
// redis-server of its own: the refusal is said in words, with a failing exit code.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startHerald, startRedisServer, type Herald, type RunningRedis } from '@herald/testing';

const HERALD_BIN = join(__dirname, '..', 'bin', 'herald.js');
let server: RunningRedis;
let herald: Herald;

beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--maxmemory-policy', 'noeviction'] });
  herald = await startHerald('cli-storage-full', { workers: 0, redis: { url: server.url, cluster: false } });
});

afterAll(async () => {
  await herald?.stop();
  await server?.stop();
});

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HERALD_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HERALD_API_URL: herald.api.url, HERALD_TOKEN: herald.api.token },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

it('says "Storage full" and exits 1 when Redis refuses a write', async () => {
  await herald.redis.config('SET', 'maxmemory', '1');
  const added = await cli(['webhooks', 'add', 'http://127.0.0.1:9/hook']);
  expect(added.code).toBe(1);
  expect(added.stderr).toMatch(/Storage full: Redis is out of memory \(maxmemory\)/);
  const published = await cli(['publish', 'order.created', '{"order":1}']);
  expect(published.code).toBe(1);
  expect(published.stderr).toMatch(/Storage full: Redis (is out of memory|memory is at)/);
  await herald.redis.config('SET', 'maxmemory', '0');
  expect((await cli(['webhooks', 'add', 'http://127.0.0.1:9/hook'])).code).toBe(0);
});
