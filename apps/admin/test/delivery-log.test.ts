// A webhook's page in Debian's Chromium against a real API, worker, Redis and loopback receivers:
// retries with exponential backoff in the delivery log (TC7.4), a retry that succeeds (TC7.5), the
// delivery log's filters, pages and details (TC7.10), statistics (TC7.11), concurrent deliveries
// (TC7.15), and rotating the secret.
import type { Page } from 'playwright-core';
import { verifyWebhook } from '@herald/sdk';
import { publish, waitFor } from '@herald/testing';
import { startConsole, type ConsoleRun } from './support/console';

let run: ConsoleRun;
let page: Page;

beforeAll(async () => {
  run = await startConsole('admin-delivery-log');
  ({ page } = await run.newPage());
  await run.signIn(page);
}, 120_000);

afterAll(async () => {
  await run?.close();
});

const log = () => page.getByRole('table', { name: 'Delivery log' });

/** Creates a webhook through the form (retries as given, Advanced fields as given) and opens its page. */
async function createWebhook(url: string, fields: { events: string; maxRetries?: string; initialDelayMs?: string; advanced?: Record<string, string> }): Promise<{ id: string; secret: string }> {
  await page.goto('/admin/webhooks/new');
  await page.getByLabel('URL').fill(url);
  await page.getByLabel('Event types').fill(fields.events);
  if (fields.maxRetries) await page.getByLabel('Max retries').fill(fields.maxRetries);
  if (fields.initialDelayMs) await page.getByLabel('Initial delay (ms)').fill(fields.initialDelayMs);
  if (fields.advanced) {
    await page.getByText('Advanced').click();
    for (const [label, value] of Object.entries(fields.advanced)) await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByRole('button', { name: 'Create' }).click();
  const dialog = page.getByRole('dialog', { name: 'Webhook created' });
  const secret = await dialog.getByLabel('Signing secret').inputValue();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  return { id: new URL(page.url()).pathname.split('/').at(-1)!, secret };
}

interface LogRow {
  time: number;
  attempt: number;
  status: string;
  durationMs: number;
}

/** "483 ms" or "1.62 s", as the console writes durations, in ms. */
function parseDuration(text: string): number {
  const [, amount, unit] = /([\d.]+) (ms|s)$/.exec(text)!;
  return Number(amount) * (unit === 's' ? 1000 : 1);
}

/** The delivery log's rows for one event, oldest first, as the page shows them. */
async function rowsOf(eventId: string): Promise<LogRow[]> {
  const rows = log().getByRole('row').filter({ hasText: eventId });
  const found: LogRow[] = [];
  for (const row of await rows.all()) {
    const cells = row.getByRole('cell');
    found.push({
      time: Date.parse((await cells.nth(0).locator('time').getAttribute('datetime'))!),
      attempt: Number(await cells.nth(2).innerText()),
      status: await cells.nth(3).innerText(),
      durationMs: parseDuration(await cells.nth(4).innerText()),
    });
  }
  return found.reverse();
}

it('shows every retry in the delivery log, each waiting about twice as long as the one before (TC7.4)', async () => {
  const receiver = await run.receivers.start(() => ({ status: 500, body: 'broken' }));
  await createWebhook(receiver.url, { events: 'backoff.test', maxRetries: '3', initialDelayMs: '400' });
  const eventId = await publish(run.herald.client, { type: 'backoff.test', data: {} });

  // The page polls: the log fills in as the worker retries (1 + 3 attempts, then a dead letter).
  const rows = await waitFor(async () => {
    const found = await rowsOf(eventId);
    return found.length === 4 && found[3]!.status.includes('dead-lettered') ? found : null;
  }, { timeoutMs: 30_000, message: 'four attempts in the delivery log' });
  expect(rows.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
  // Each retry's row says nothing of a next attempt any more: the log shows it, in the row above.
  expect(rows.slice(0, 3).map((r) => r.status)).toEqual(['Failed, will retry · HTTP 500', 'Failed, will retry · HTTP 500', 'Failed, will retry · HTTP 500']);
  expect(rows[3]!.status).toBe('Failed, dead-lettered · HTTP 500');
  // Each retry came its backoff after the attempt before it ended: 400, 800 and 1600 ms (±10 %
  // jitter), later only by the machine's own delays. An attempt's time is taken before its request
  // is signed, which a busy machine may take some ms over.
  const gaps = rows.slice(1).map((row, i) => row.time - rows[i]!.time);
  gaps.forEach((gap, i) => {
    expect(gap).toBeGreaterThanOrEqual(400 * 2 ** i * 0.9 + rows[i]!.durationMs - 20);
    expect(gap).toBeLessThan(400 * 2 ** i * 1.1 + rows[i]!.durationMs + 5_000);
  });
  // The receiver saw the same four attempts, numbered.
  expect(receiver.requests.map((r) => r.headers['x-herald-attempt'])).toEqual(['1', '2', '3', '4']);
  await run.screenshot(page, 'webhook');
});

it('shows a retry that succeeds (TC7.5) and the statistics that follow (TC7.11)', async () => {
  const receiver = await run.receivers.start((_request, n) => (n <= 2 ? { status: 503, body: 'warming up' } : { status: 200, body: 'thanks' }));
  const { id } = await createWebhook(receiver.url, { events: 'flaky.test', maxRetries: '3', initialDelayMs: '200' });
  const eventId = await publish(run.herald.client, { type: 'flaky.test', data: { n: 1 } });
  const rows = await waitFor(async () => {
    const found = await rowsOf(eventId);
    return found.length === 3 ? found : null;
  }, { timeoutMs: 20_000, message: 'three attempts in the delivery log' });
  expect(rows.map((r) => r.status.split(' · ').slice(0, 2).join(' · '))).toEqual(['Failed, will retry · HTTP 503', 'Failed, will retry · HTTP 503', 'Succeeded · HTTP 200']);

  // Statistics, as the API computes them: the one event was delivered, at the third of three attempts.
  const statistics = page.getByRole('region', { name: 'Statistics' });
  const figure = (name: string) => statistics.locator(`dt:text-is("${name}") + dd`);
  await waitFor(async () => (await figure('Attempts succeeded').innerText()) === '33.3 %', { message: '33.3 % of attempts succeeded' });
  expect(await figure('Delivered').innerText()).toBe('100 %');
  const stats = (await run.herald.client.get(`/v1/webhooks/${id}/stats`)).body as { total: number; averageDurationMs: number; p95DurationMs: number };
  expect(stats.total).toBe(3);
  expect(await figure('Attempts').innerText()).toBe('3 (1 succeeded, 2 failed)');
  expect(await figure('Average duration').innerText()).toMatch(/^\d+ ms$/);
  expect(await figure('p95 duration').innerText()).toBe(`${Math.round(stats.p95DurationMs)} ms`);
  expect(await figure('Last success').innerText()).not.toBe('—');
  expect(await figure('Last failure').innerText()).not.toBe('—');
});

it('filters the delivery log by outcome and event type, pages through it, and expands an attempt (TC7.10)', async () => {
  const receiver = await run.receivers.start((request) => (request.headers['x-herald-event'] === 'log.bad' ? { status: 400, body: 'no such order' } : { status: 200, body: 'received' }));
  await createWebhook(receiver.url, { events: 'log.*' });
  const good: string[] = [];
  for (let i = 0; i < 22; i++) good.push(await publish(run.herald.client, { type: 'log.good', data: { i } }));
  const bad = await publish(run.herald.client, { type: 'log.bad', data: {} });
  await receiver.waitForRequests(23);
  expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([...good, bad]));

  // Page 1: the newest 20; page 2: the rest.
  await page.getByText('Attempts 1–20').waitFor();
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText('Attempts 21–23').waitFor();
  expect(await log().getByRole('row').count()).toBe(1 + 3);
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByText('Attempts 1–20').waitFor();

  // Only failures: the one 400.
  await page.getByLabel('Outcome').selectOption({ label: 'Failed' });
  await page.getByText('Attempts 1–1').waitFor();
  expect(await rowsOf(bad)).toEqual([expect.objectContaining({ attempt: 1, status: 'Failed, dead-lettered · HTTP 400' })]);
  await page.getByLabel('Outcome').selectOption({ label: 'All' });

  // By event type.
  // (The previous page stays on screen until the filtered one arrives: wait for the row to go.)
  await page.getByLabel('Event type').fill('log.good');
  await log().getByRole('row').filter({ hasText: 'log.bad' }).waitFor({ state: 'detached' });
  await page.getByText('Attempts 1–20').waitFor();
  await page.getByLabel('Event type').fill('log.bad');
  await page.getByText('Attempts 1–1').waitFor();

  // Details: the request headers Herald set and the response body.
  const row = log().getByRole('row').filter({ hasText: bad });
  const details = row.getByRole('button', { name: 'Details' });
  expect(await details.getAttribute('aria-expanded')).toBe('false');
  await details.click();
  expect(await details.getAttribute('aria-expanded')).toBe('true');
  const headers = await page.getByLabel('Request headers').innerText();
  expect(headers).toContain(`webhook-id: ${bad}`);
  expect(headers).toContain('x-herald-event: log.bad');
  expect(headers).toContain('x-herald-attempt: 1');
  expect(await page.getByLabel('Response body').innerText()).toBe('no such order');
  await run.screenshot(page, 'delivery-log');
  await details.click();
  await page.getByLabel('Response body').waitFor({ state: 'detached' });
});

it('delivers concurrently, never more at once than the webhook\'s Max in flight (TC7.15)', async () => {
  let inFlight = 0;
  let most = 0;
  const receiver = await run.receivers.start(async () => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the endpoint's own slowness, not a wait in the test
    inFlight -= 1;
    return { status: 200, body: 'ok' };
  });
  const { id } = await createWebhook(receiver.url, { events: 'burst.*', advanced: { 'Max in flight': '4', 'Timeout (ms)': '2000' } });
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body.maxInFlight).toBe(4);
  const events = Array.from({ length: 16 }, (_, i) => ({ type: 'burst.item', data: { i } }));
  const published = await run.herald.client.post('/v1/events/batch', { events });
  expect(published.status).toBe(202);
  await receiver.waitForRequests(16, { timeoutMs: 30_000 });
  expect(most).toBeGreaterThan(1);
  expect(most).toBeLessThanOrEqual(4);
  // The console shows all sixteen, each delivered once.
  await page.getByText('Attempts 1–16').waitFor();
  expect(await log().getByRole('row').filter({ hasText: 'Succeeded · HTTP 200' }).count()).toBe(16);
  expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(16);
});

it('rotates the secret: the new one is shown once, and deliveries are signed with it', async () => {
  const receiver = await run.receivers.start();
  const { secret: first } = await createWebhook(receiver.url, { events: 'rotate.test' });
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const confirm = page.getByRole('dialog', { name: 'Rotate secret?' });
  await confirm.getByLabel('Grace period').selectOption('0');
  await confirm.getByRole('button', { name: 'Rotate secret' }).click();
  const shown = page.getByRole('dialog', { name: 'Secret rotated' });
  const second = await shown.getByLabel('Signing secret').inputValue();
  expect(second).toMatch(/^whsec_/);
  expect(second).not.toBe(first);
  await shown.getByRole('button', { name: 'Copy secret' }).click();
  await shown.getByText('Secret copied to the clipboard.').waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(second);
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'detached' });
  expect(await page.content()).not.toContain(second);

  await publish(run.herald.client, { type: 'rotate.test', data: {} });
  const [request] = await receiver.waitForRequests(1);
  expect(verifyWebhook(second, request!.body, request!.headers)).toMatchObject({ type: 'rotate.test' });
  expect(() => verifyWebhook(first, request!.body, request!.headers)).toThrow();
});

it('ran without script errors or policy refusals, and with no token or secret in a URL', () => {
  expect(run.pageErrors.filter((text) => !/status of (4\d\d|5\d\d)/.test(text))).toEqual([]);
  expect(run.requestedUrls.filter((url) => url.includes(run.herald.api.token) || url.includes('whsec_'))).toEqual([]);
});
