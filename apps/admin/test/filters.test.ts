// The webhook form's "Filter" field and "Preview", in Debian's Chromium against a real API, worker,
// Redis and loopback receivers: a filter checked as it is typed, saved, applied to deliveries, and
// previewed on the webhook's recent events.
import type { Page } from 'playwright-core';
import { publish, type Receiver } from '@herald/testing';
import { startConsole, type ConsoleRun } from './support/console';

let run: ConsoleRun;
let page: Page;

beforeAll(async () => {
  run = await startConsole('admin-filters');
  ({ page } = await run.newPage());
  await run.signIn(page);
}, 120_000);

afterAll(async () => {
  await run?.close();
});

const filterCheck = () => page.getByRole('status', { name: 'Check result' });
const typesOf = (receiver: Receiver) => receiver.requests.map((request) => (JSON.parse(request.body) as { data: { amount: number } }).data.amount);

it('checks the filter as it is typed, saves it, and delivers only what it lets through', async () => {
  const receiver = await run.receivers.start();
  await page.goto('/admin/webhooks/new');
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByLabel('Event types').fill('order.*');

  // Not JSON: said at once, beside the field.
  await page.getByLabel('Filter').fill('{"data": ');
  await page.getByText(/^is not valid JSON/).waitFor();
  // JSON the API refuses: its words, with the path inside the filter.
  await page.getByLabel('Filter').fill('{"data": {"amount": {"$gte": "a lot", "$between": [1, 2]}}}');
  await filterCheck().getByText(/data\.amount\.\$between: is not an operator/).waitFor();
  // And what it accepts.
  await page.getByLabel('Filter').fill('{"data": {"amount": {"$gte": 100}}}');
  await filterCheck().getByText('The API accepts this filter.').waitFor();

  await page.getByRole('button', { name: 'Create' }).click();
  const dialog = page.getByRole('dialog', { name: 'Webhook created' });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body.filter).toEqual({ data: { amount: { $gte: 100 } } });

  for (const amount of [50, 150, 99, 100]) await publish(run.herald.client, { type: 'order.paid', data: { amount } });
  await receiver.waitForRequests(2);
  await run.herald.waitForSettled();
  expect(typesOf(receiver).sort()).toEqual([100, 150]);
});

it('previews how many of the last events the filter typed would match, before saving it', async () => {
  const receiver = await run.receivers.start();
  const created = await run.herald.client.post('/v1/webhooks', { url: receiver.url, tenant: 'preview', events: ['invoice.*'], filter: { data: { amount: { $gte: 100 } } } });
  const id = created.body.id as string;
  for (const amount of [10, 200, 300, 20, 30]) await publish(run.herald.client, { tenant: 'preview', type: 'invoice.paid', data: { amount } });
  await receiver.waitForRequests(2);

  await page.goto(`/admin/webhooks/${id}/edit`);
  expect(JSON.parse(await page.getByLabel('Filter').inputValue())).toEqual({ data: { amount: { $gte: 100 } } });
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('status', { name: 'Preview result' }).getByText(/^2 of the last 5 events would match; 3 would not\. For example evt_\S+: data\.amount: 30 is not >= 100\.$/).waitFor();

  // The filter typed, not the one saved.
  await page.getByLabel('Filter').fill('{"data": {"amount": {"$lt": 25}}}');
  await filterCheck().getByText('The API accepts this filter.').waitFor();
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('status', { name: 'Preview result' }).getByText(/^2 of the last 5 events would match; 3 would not\./).waitFor();
  await page.getByLabel('Filter').fill('');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('status', { name: 'Preview result' }).getByText(/^5 of the last 5 events would match; 0 would not\.$/).waitFor();
  // Nothing was saved by previewing.
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body.filter).toEqual({ data: { amount: { $gte: 100 } } });
});

it('ran without script errors or refusals of its own', () => {
  expect(run.pageErrors.filter((text) => !/status of (4\d\d|5\d\d)/.test(text))).toEqual([]);
});
