// The console when Redis is full (at maxmemory, noeviction), in Debian's Chromium against a real
// API and worker on a redis-server of its own: the refusal is said in words, and saving works again
// once Redis has room.
import type { Page } from 'playwright-core';
import { startRedisServer, type RunningRedis } from '@herald/testing';
import { startConsole, type ConsoleRun } from './support/console';

let server: RunningRedis;
let run: ConsoleRun;
let page: Page;

beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--maxmemory-policy', 'noeviction'] });
  run = await startConsole('admin-storage-full', { redis: { url: server.url, cluster: false } });
  ({ page } = await run.newPage());
  await run.signIn(page);
}, 120_000);

afterAll(async () => {
  await run?.close();
  await server?.stop();
});

it('says "Storage full" when Redis refuses a new webhook, and creates it once Redis has room', async () => {
  const receiver = await run.receivers.start();
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByLabel('URL').fill(receiver.url);

  await run.herald.redis.config('SET', 'maxmemory', '1');
  await page.getByRole('button', { name: 'Create' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Storage full' });
  await alert.waitFor();
  expect(await alert.textContent()).toMatch(/503.*Storage full: Redis is out of memory \(maxmemory\)/);
  expect((await run.herald.client.get('/v1/webhooks')).body.data).toEqual([]);

  await run.herald.redis.config('SET', 'maxmemory', '0');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('dialog', { name: 'Webhook created' }).waitFor();
  expect((await run.herald.client.get('/v1/webhooks')).body.data).toHaveLength(1);
});
