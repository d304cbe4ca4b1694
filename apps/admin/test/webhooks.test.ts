// The console's webhooks, in Debian's Chromium against a real API, worker, Redis and loopback
// receivers: create (TC7.1), test send (TC7.2), signature verification with the copied secret
// (TC7.3), multiple subscriptions (TC7.6), edit (TC7.7), delete (TC7.8), disable and enable (TC7.9),
// copy secret (TC7.12), URL validation (TC7.13), event filtering (TC7.14).
import type { Page } from 'playwright-core';
import { verifyWebhook } from '@herald/sdk';
import { createTestPki, publish, waitFor, type Receiver } from '@herald/testing';
import { attributeBecomes, startConsole, type ConsoleRun } from './support/console';

let run: ConsoleRun;
let page: Page;

/** The API's defaults for new webhooks: the form must leave them to the API, not send its own. */
const SERVER_DEFAULTS = { HERALD_RETRY_MAX_RETRIES: '4', HERALD_RETRY_INITIAL_DELAY: '1500', HERALD_DEFAULT_TIMEOUT_MS: '7000' };

beforeAll(async () => {
  run = await startConsole('admin-webhooks', { env: SERVER_DEFAULTS });
  ({ page } = await run.newPage());
  await run.signIn(page);
}, 120_000);

afterAll(async () => {
  await run?.close();
});

const webhooksTable = () => page.getByRole('table', { name: 'Webhooks' });
const rowOf = (url: string) => webhooksTable().getByRole('row').filter({ has: page.getByRole('link', { name: url, exact: true }) });

/** Creates a webhook through the form and returns the secret the dialog showed (read from the clipboard). */
async function createThroughForm(fields: { url: string; events?: string; description?: string }): Promise<{ id: string; secret: string }> {
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByLabel('URL').fill(fields.url);
  if (fields.description !== undefined) await page.getByLabel('Description').fill(fields.description);
  if (fields.events !== undefined) await page.getByLabel('Event types').fill(fields.events);
  await page.getByRole('button', { name: 'Create' }).click();
  const dialog = page.getByRole('dialog', { name: 'Webhook created' });
  await dialog.getByRole('button', { name: 'Copy secret' }).click();
  await dialog.getByText('Secret copied to the clipboard.').waitFor();
  const secret = await page.evaluate(() => navigator.clipboard.readText());
  expect(await dialog.getByLabel('Signing secret').inputValue()).toBe(secret);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  return { id, secret };
}

function bodyOf(receiver: Receiver, n: number): { type: string; data: Record<string, unknown> } {
  return JSON.parse(receiver.requests[n]!.body) as { type: string; data: Record<string, unknown> };
}

it('creates a webhook (TC7.1), shows its secret once and copies it (TC7.12), which verifies its deliveries (TC7.3)', async () => {
  const receiver = await run.receivers.start();
  const { id, secret } = await createThroughForm({ url: receiver.url, events: 'order.*', description: 'orders' });
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);

  // The API has it as the form said.
  const stored = (await run.herald.client.get(`/v1/webhooks/${id}`)).body;
  expect(stored).toMatchObject({ url: receiver.url, events: ['order.*'], description: 'orders', enabled: true });

  // A delivery, verified with the secret the console copied.
  await publish(run.herald.client, { type: 'order.created', data: { order: 1 } });
  const [request] = await receiver.waitForRequests(1);
  const verified = verifyWebhook(secret, request!.body, request!.headers);
  expect(verified).toMatchObject({ type: 'order.created', data: { order: 1 } });
  expect(() => verifyWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, request!.body, request!.headers)).toThrow();

  // Shown once: the webhook's page and the list never show it again.
  await page.reload();
  await page.getByRole('heading', { name: 'Statistics' }).waitFor();
  expect(await page.content()).not.toContain(secret);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await rowOf(receiver.url).waitFor();
  expect(await page.content()).not.toContain(secret);
  await run.screenshot(page, 'webhooks');
});

it('shows the server\'s defaults as placeholders and sends only what was typed, so HERALD_RETRY_* and HERALD_DEFAULT_TIMEOUT_MS apply', async () => {
  const receiver = await run.receivers.start();
  await page.goto('/admin/webhooks/new');
  const placeholder = (label: string) => page.getByLabel(label, { exact: true }).getAttribute('placeholder');
  // The form's chunk and the server's defaults load first: slow on a busy CI box.
  await waitFor(async () => (await placeholder('Max retries')) === '4', { timeoutMs: 30_000, message: 'the server\'s max retries as the placeholder' });
  expect(await page.getByLabel('Max retries').inputValue()).toBe('');
  expect(await placeholder('Initial delay (ms)')).toBe('1500');
  expect(await placeholder('Backoff multiplier')).toBe('2');
  expect(await placeholder('Event types')).toBe('*');
  await page.getByText('Advanced').click();
  expect(await placeholder('Timeout (ms)')).toBe('7000');
  expect(await page.getByLabel('Timeout (ms)').inputValue()).toBe('');

  // Only the URL typed: every other field is the server's (a form sending its own would store 3, 1000 and 10000).
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('dialog', { name: 'Webhook created' }).getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body).toMatchObject({
    events: ['*'], method: 'POST', enabled: true, auth: { type: 'none' },
    retry: { maxRetries: 4, initialDelayMs: 1500, backoffMultiplier: 2 }, timeoutMs: 7000,
  });
});

it('refuses a URL that is not http(s), with the message beside the URL field (TC7.13)', async () => {
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByLabel('URL').fill('ftp://example.com/hook');
  await page.getByRole('button', { name: 'Create' }).click();
  const url = page.getByLabel('URL');
  await attributeBecomes(url, 'aria-invalid', 'true');
  const describedBy = (await url.getAttribute('aria-describedby'))!.split(' ');
  const messages = await Promise.all(describedBy.map((each) => page.locator(`#${each}`).innerText()));
  expect(messages.join(' ')).toMatch(/http or https/);
  // The field keeps the focus for the keyboard user, and nothing was created.
  await waitFor(() => page.evaluate(() => document.activeElement?.id === 'url'), { message: 'the URL field to be focused' });
  const listed = (await run.herald.client.get('/v1/webhooks')).body.data as { url: string }[];
  expect(listed.map((w) => w.url)).not.toContain('ftp://example.com/hook');

  // An error inside the Advanced section opens it and sits beside its own field.
  await page.getByLabel('URL').fill('https://example.com/hook');
  await page.getByText('Advanced').click();
  await page.getByLabel('Max in flight').fill('0');
  await page.getByText('Advanced').click(); // closed again: the error must reopen it
  await page.getByRole('button', { name: 'Create' }).click();
  const maxInFlight = page.getByLabel('Max in flight');
  await attributeBecomes(maxInFlight, 'aria-invalid', 'true');
  expect(await maxInFlight.isVisible()).toBe(true);
  expect(await page.locator('#max-in-flight-error').innerText()).toMatch(/1|greater|too small/i);
  await run.screenshot(page, 'webhook-form');
});

it('sends a test event from the row and says how it went (TC7.2)', async () => {
  const receiver = await run.receivers.start();
  const { id } = await createThroughForm({ url: receiver.url, events: 'nothing.yet' });
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await rowOf(receiver.url).getByRole('button', { name: 'Send test' }).click();
  await page.getByRole('status').filter({ hasText: 'Test delivered: HTTP 200' }).waitFor();
  expect(receiver.requests).toHaveLength(1);
  expect(receiver.requests[0]!.headers['x-herald-event']).toBe('herald.test');
  expect(receiver.requests[0]!.headers['x-herald-delivery-id']).toContain(id);

  // A failing endpoint is said to fail, with its status.
  receiver.respond(() => ({ status: 500, body: 'down for maintenance' }));
  await rowOf(receiver.url).getByRole('button', { name: 'Send test' }).click();
  await page.getByRole('status').filter({ hasText: 'Test failed: HTTP 500' }).waitFor();
});

it('edits a webhook: the form starts from the stored one and saves what changed (TC7.7)', async () => {
  const receiver = await run.receivers.start();
  const other = await run.receivers.start();
  const { id } = await createThroughForm({ url: receiver.url, events: 'invoice.paid', description: 'before' });
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await rowOf(receiver.url).getByRole('button', { name: 'Edit' }).click();
  expect(await page.getByLabel('URL').inputValue()).toBe(receiver.url);
  expect(await page.getByLabel('Event types').inputValue()).toBe('invoice.paid');
  expect(await page.getByLabel('Max retries').inputValue()).toBe('4');
  await page.getByLabel('URL').fill(other.url);
  await page.getByLabel('Description').fill('after');
  await page.getByLabel('Event types').fill('invoice.paid, invoice.sent');
  await page.getByLabel('Max retries').fill('5');
  await page.getByLabel('Initial delay (ms)').fill('250');
  await page.getByLabel('Backoff multiplier').fill('3');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(new RegExp(`/admin/webhooks/${id}$`));
  await page.getByText('after', { exact: true }).waitFor();
  const stored = (await run.herald.client.get(`/v1/webhooks/${id}`)).body;
  expect(stored).toMatchObject({ url: other.url, description: 'after', events: ['invoice.paid', 'invoice.sent'], retry: { maxRetries: 5, initialDelayMs: 250, backoffMultiplier: 3 } });

  // Deliveries follow the edit: the new URL gets them, the old one does not.
  await publish(run.herald.client, { type: 'invoice.sent', data: { invoice: 7 } });
  await other.waitForRequests(1);
  expect(bodyOf(other, 0)).toMatchObject({ type: 'invoice.sent', data: { invoice: 7 } });
  expect(receiver.requests).toHaveLength(0);
});

it('disables and enables a webhook with its switch: disabled gets nothing, enabled gets deliveries again (TC7.9)', async () => {
  const receiver = await run.receivers.start();
  const { id } = await createThroughForm({ url: receiver.url, events: 'toggle.*' });
  await page.getByRole('link', { name: 'Webhooks' }).click();
  const toggle = rowOf(receiver.url).getByRole('switch', { name: 'Enabled' });
  expect(await toggle.getAttribute('aria-checked')).toBe('true');
  // Keyboard: the switch is a button, Space flips it.
  await toggle.focus();
  await page.keyboard.press('Space');
  await attributeBecomes(toggle, 'aria-checked', 'false');
  await rowOf(receiver.url).getByText('Disabled', { exact: true }).waitFor();
  await waitFor(async () => (await run.herald.client.get(`/v1/webhooks/${id}`)).body.enabled === false, { message: 'the webhook to be disabled' });

  const skipped = await publish(run.herald.client, { type: 'toggle.off', data: {} });
  // Fanned out (to no one) before the webhook is enabled again.
  await run.herald.waitForSettled();
  await toggle.click();
  await attributeBecomes(toggle, 'aria-checked', 'true');
  await publish(run.herald.client, { type: 'toggle.on', data: {} });
  await receiver.waitForRequests(1);
  // The event published while it was disabled was never delivered (the one after it was).
  await run.herald.waitForSettled();
  expect(receiver.requests.map((r) => r.headers['webhook-id'])).not.toContain(skipped);
  expect(receiver.requests.map((r) => r.headers['x-herald-event'])).toEqual(['toggle.on']);
});

it('deletes a webhook after confirming in a dialog; cancelling keeps it (TC7.8)', async () => {
  const receiver = await run.receivers.start();
  const { id } = await createThroughForm({ url: receiver.url, events: 'gone.*' });
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await rowOf(receiver.url).getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete webhook?' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).status).toBe(200);

  await rowOf(receiver.url).getByRole('button', { name: 'Delete' }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await rowOf(receiver.url).waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `Deleted ${receiver.url}` }).waitFor();
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).status).toBe(404);
  await publish(run.herald.client, { type: 'gone.now', data: {} });
  await run.herald.waitForSettled();
  expect(receiver.requests).toHaveLength(0);
});

it('delivers one event to every webhook subscribed to it (TC7.6) and to none that is not (TC7.14)', async () => {
  const exact = await run.receivers.start();
  const prefix = await run.receivers.start();
  const all = await run.receivers.start();
  const unrelated = await run.receivers.start();
  await createThroughForm({ url: exact.url, events: 'shipment.sent' });
  await createThroughForm({ url: prefix.url, events: 'shipment.*' });
  await createThroughForm({ url: all.url, events: '*' });
  await createThroughForm({ url: unrelated.url, events: 'refund.*, shipment.lost' });

  const sent = await publish(run.herald.client, { type: 'shipment.sent', data: { parcel: 'p-1' } });
  const returned = await publish(run.herald.client, { type: 'shipment.returned', data: { parcel: 'p-2' } });
  await exact.waitForRequests(1);
  await prefix.waitForRequests(2);
  await waitFor(() => all.requests.filter((r) => [sent, returned].includes(String(r.headers['webhook-id']))).length === 2, { message: 'both events at the "*" webhook' });
  await run.herald.waitForSettled();
  expect(exact.requests.map((r) => r.headers['webhook-id'])).toEqual([sent]);
  expect(prefix.requests.map((r) => r.headers['webhook-id']).sort()).toEqual([sent, returned].sort());
  expect(unrelated.requests).toHaveLength(0);

  // The webhooks table lists each with its event types.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  expect(await rowOf(unrelated.url).getByRole('cell').first().innerText()).toBe('refund.*, shipment.lost');
});

// Last but one: the held delivery waits in the queue for the circuit's ten-minute cool-down, so a
// later test waiting for the queue to settle would wait for it too.
it('shows "Circuit open" in the webhook\'s row and on its page once a worker opens it, and the held retry waits for it', async () => {
  const receiver = await run.receivers.start(() => ({ status: 500, body: 'down' }));
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByLabel('Event types').fill('breaker.*');
  await page.getByLabel('Max retries').fill('5');
  await page.getByLabel('Initial delay (ms)').fill('100');
  await page.getByText('Advanced').click();
  await page.getByLabel('Failure threshold').fill('2');
  await page.getByLabel('Cooldown (ms)').fill('600000');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('dialog', { name: 'Webhook created' }).getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  const status = page.locator('dl.settings dt:text-is("Status") + dd');
  expect(await status.innerText()).toBe('Enabled');

  // Two failed attempts in a row open the circuit (a real worker, a failing loopback receiver).
  const eventId = await publish(run.herald.client, { type: 'breaker.tripped', data: {} });
  await receiver.waitForRequests(2);
  await status.getByText('Circuit open', { exact: true }).waitFor();
  const circuit = (await run.herald.client.get(`/v1/webhooks/${id}`)).body.circuit as { state: string };
  expect(circuit.state).toBe('open');
  expect(await status.innerText()).toMatch(/deliveries wait, and one goes through as a probe from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

  // The second attempt's retry waits for the circuit, not for its own delay.
  const log = page.getByRole('table', { name: 'Delivery log' });
  const second = log.getByRole('row').filter({ hasText: eventId }).filter({ has: page.getByRole('cell', { name: '2', exact: true }) });
  await second.getByText('Failed, will retry · HTTP 500 · waiting: circuit open').waitFor();
  const first = log.getByRole('row').filter({ hasText: eventId }).filter({ has: page.getByRole('cell', { name: '1', exact: true }) });
  expect(await first.getByRole('cell').nth(3).innerText()).toBe('Failed, will retry · HTTP 500');
  expect(receiver.requests).toHaveLength(2);

  // The webhooks table says it in the webhook's row.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await rowOf(receiver.url).getByText('Circuit open', { exact: true }).waitFor();
  expect(await rowOf(receiver.url).getByRole('cell').nth(1).innerText()).toMatch(/^Enabled\s*Circuit open$/);
});

it('kept every token and secret out of the URLs it asked for, and ran without script errors or refusals', () => {
  const secrets = [run.herald.api.token];
  expect(run.requestedUrls.length).toBeGreaterThan(20);
  expect(run.requestedUrls.filter((url) => secrets.some((s) => url.includes(s)) || url.includes('whsec_'))).toEqual([]);
  expect(run.pageErrors.filter((text) => !/status of (4\d\d|5\d\d)/.test(text))).toEqual([]);
});

it('creates an OAuth2 webhook with its token URL, client ID and secret (never shown again), and places an API error beside its field', async () => {
  const receiver = await run.receivers.start();
  await page.goto('/admin/webhooks/new');
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByText('Advanced').click();
  await page.getByLabel('Authentication type').selectOption({ label: 'OAuth2' });
  // A metadata address as the token URL: the API refuses it, and says so beside the field.
  await page.getByLabel('Token URL').fill('http://169.254.169.254/token');
  await page.getByLabel('Client ID').fill('console-client');
  await page.getByLabel('Client secret').fill('console-client-secret');
  await page.getByRole('button', { name: 'Create' }).click();
  const tokenUrl = page.getByLabel('Token URL');
  await attributeBecomes(tokenUrl, 'aria-invalid', 'true');
  expect(await page.locator('#oauth-token-url-error').innerText()).toMatch(/cloud metadata/);

  await tokenUrl.fill('https://auth.example.com/oauth/token');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('dialog', { name: 'Webhook created' }).getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body.auth).toEqual({
    type: 'oauth2', tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'console-client', authMethod: 'basic',
  });
  expect(await page.content()).not.toContain('console-client-secret');
});

it('creates a webhook with a client certificate and key, shows the certificate but never the key, and names a key that does not belong', async () => {
  const pki = createTestPki();
  try {
    const client = pki.client({ commonName: 'console-mtls' });
    const other = pki.client({ commonName: 'other' });
    await page.goto('/admin/webhooks/new');
    await page.getByLabel('URL').fill('https://example.com/mtls');
    await page.getByText('Advanced').click();
    await page.getByLabel('Client certificate').fill(client.cert);
    await page.getByLabel('Client key').fill(other.key);
    await page.getByRole('button', { name: 'Create' }).click();
    const key = page.getByLabel('Client key');
    await attributeBecomes(key, 'aria-invalid', 'true');
    expect(await page.locator('#tls-client-key-error').innerText()).toMatch(/does not belong to clientCert/);

    await key.fill(client.key);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('dialog', { name: 'Webhook created' }).getByRole('button', { name: 'Done' }).click();
    await page.waitForURL(/\/admin\/webhooks\/wh_[^/]+$/);
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    expect((await run.herald.client.get(`/v1/webhooks/${id}`)).body.tls).toEqual({ clientCert: client.cert.trim() });
    expect(await page.content()).not.toContain('PRIVATE KEY');
  } finally {
    pki.remove();
  }
});
