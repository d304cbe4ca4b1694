// Ordered delivery in the console, in Debian's Chromium against a real API, worker, Redis and a
// loopback receiver: a FIFO webhook made through the form (its key checked by the API), a line
// that blocks on a head its receiver always refuses, and the operator skipping that head.
import type { Page } from 'playwright-core';
import { waitFor } from '@herald/testing';
import { attributeBecomes, startConsole, type ConsoleRun } from './support/console';

let run: ConsoleRun;
let page: Page;

beforeAll(async () => {
  run = await startConsole('admin-fifo');
  ({ page } = await run.newPage());
  await run.signIn(page);
}, 120_000);

afterAll(async () => {
  await run?.close();
});

it('creates a FIFO webhook that blocks, shows its blocked line, and skips the head so the rest arrive in order', async () => {
  const delivered: { line: string; n: number }[] = [];
  const receiver = await run.receivers.start((request) => {
    const { data } = JSON.parse(request.body) as { data: { line: string; n: number } };
    if (data.n === 1) return { status: 503, body: 'not this one' };
    delivered.push(data);
    return { status: 200 };
  });

  await page.goto('/admin/webhooks/new');
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByLabel('Event types').fill('parcel.*');
  await page.getByLabel('Max retries').fill('1');
  await page.getByLabel('Initial delay (ms)').fill('20');
  await page.getByText('Advanced').click();
  // The receiver's refusals are the test's: the circuit must not open on them.
  await page.getByLabel('Circuit breaker on').uncheck();
  await page.getByLabel('Ordering', { exact: true }).selectOption('fifo');
  await page.getByLabel('When a head spends its attempts').selectOption('block');

  // A key the API refuses: its words, beside the field.
  await page.getByLabel('Ordering key').fill('orderId');
  await page.getByRole('button', { name: 'Create' }).click();
  const key = page.getByLabel('Ordering key');
  await attributeBecomes(key, 'aria-invalid', 'true');
  expect(await page.locator('#ordering-key-error').innerText()).toMatch(/path under data such as "data\.orderId"/);

  await key.fill('data.line');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('dialog', { name: 'Webhook created' }).getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body.ordering).toEqual({ mode: 'fifo', key: 'data.line', onExhausted: 'block' });
  await page.getByText('FIFO by data.line; a head that spends its attempts blocks its line until it is skipped or replayed.').waitFor();

  // Line a blocks on its second event; line b goes on.
  const events = [...[0, 1, 2, 3].map((n) => ({ line: 'a', n })), { line: 'b', n: 4 }].map((data) => ({ type: 'parcel.moved', data }));
  expect((await run.herald.client.post('/v1/events/batch', { events })).status).toBe(202);
  const blocked = page.getByRole('table', { name: 'Blocked lines' });
  const row = blocked.getByRole('row').filter({ hasText: 'fifo_blocked' });
  await row.waitFor();
  const [head] = (await run.herald.client.get(`/v1/webhooks/${id}/fifo`)).body.blockedLines as { key: string; eventId: string }[];
  expect(head!.key).toBe('a');
  expect(await row.getByRole('cell').first().innerText()).toBe('a');
  await row.getByRole('link', { name: head!.eventId }).waitFor();
  await page.getByRole('region', { name: 'Ordered delivery' }).getByText('Deliveries waiting').waitFor();
  await waitFor(() => delivered.some((d) => d.n === 4), { message: 'line b delivered while line a is blocked' });
  expect(delivered.filter((d) => d.line === 'a').map((d) => d.n)).toEqual([0]);
  await run.screenshot(page, 'webhook-fifo');

  // Skip asks first; cancelling skips nothing.
  await row.getByRole('button', { name: 'Skip the head of line a' }).click();
  const dialog = page.getByRole('dialog', { name: 'Skip the head of line a?' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await run.herald.client.get(`/v1/webhooks/${id}/fifo`)).body.blocked).toBe(1);
  await row.getByRole('button', { name: 'Skip the head of line a' }).click();
  await dialog.getByRole('button', { name: 'Skip' }).click();
  await page.getByRole('status').getByText(`Skipped ${head!.eventId} on line a; its dead letter stays.`).waitFor();
  await page.getByText('No line is blocked.').waitFor();
  expect(await blocked.count()).toBe(0);

  await waitFor(() => delivered.filter((d) => d.line === 'a').length === 3, { message: 'the rest of line a' });
  expect(delivered.filter((d) => d.line === 'a').map((d) => d.n)).toEqual([0, 2, 3]);
  // The skipped head's dead letter stays.
  expect((await run.herald.client.get(`/v1/dead-letters/${head!.eventId}.${id}`)).status).toBe(200);
  expect(run.pageErrors.filter((text) => !/status of (4\d\d|5\d\d)/.test(text))).toEqual([]);
});
