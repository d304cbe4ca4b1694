// Receivers: real deliveries from a real Herald verified by the SDK, by the standardwebhooks and svix
// packages, and by the SDK's Express middleware on a real loopback server.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { receiverPool, startHerald, waitFor, type Herald as RunningHerald } from '@herald/testing';
import { Herald, WebhookVerificationError, verifyWebhook, webhookMiddleware, type WebhookEvent } from '../src';

let herald: RunningHerald;
let client: Herald;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startHerald('sdk-receiver');
  client = new Herald({ baseUrl: herald.api.url, token: herald.api.token });
});

afterAll(async () => {
  await receivers.closeAll();
  await herald?.stop();
});

describe('a real delivery', () => {
  it('verifies with the SDK, standardwebhooks and svix; a changed byte verifies with none', async () => {
    const hook = await receivers.start();
    const { secret } = await client.webhooks.create({ url: hook.url, events: ['parcel.shipped'] });
    const published = await client.events.publish({ type: 'parcel.shipped', data: { parcel: 7, to: 'Zoë' } });
    const [delivery] = await hook.waitForRequests(1);
    const headers = delivery!.headers as Record<string, string>;

    const event = verifyWebhook(secret, delivery!.body, headers);
    expect(event).toEqual({ id: published.id, type: 'parcel.shipped', timestamp: expect.any(String), tenant: 'default', data: { parcel: 7, to: 'Zoë' } });
    expect(new StandardWebhook(secret).verify(delivery!.body, headers)).toEqual(event);
    expect(new SvixWebhook(secret).verify(delivery!.body, headers)).toEqual(event);

    const changed = delivery!.body.replace('7', '8');
    expect(() => verifyWebhook(secret, changed, headers)).toThrow(WebhookVerificationError);
    expect(() => new StandardWebhook(secret).verify(changed, headers)).toThrow();
    expect(() => new SvixWebhook(secret).verify(changed, headers)).toThrow();
  });

  it('carries one signature per secret while a rotated secret is in its grace period: each verifies', async () => {
    const hook = await receivers.start();
    const created = await client.webhooks.create({ url: hook.url, events: ['parcel.rotated'] });
    const rotated = await client.webhooks.rotateSecret(created.id, { graceMs: '1h' });
    await client.events.publish({ type: 'parcel.rotated' });
    const [delivery] = await hook.waitForRequests(1);
    const headers = delivery!.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [created.secret, rotated.secret]) {
      expect(verifyWebhook(secret, delivery!.body, headers).type).toBe('parcel.rotated');
      expect(new StandardWebhook(secret).verify(delivery!.body, headers)).toMatchObject({ type: 'parcel.rotated' });
      expect(new SvixWebhook(secret).verify(delivery!.body, headers)).toMatchObject({ type: 'parcel.rotated' });
    }
    const unrelated = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => verifyWebhook(unrelated, delivery!.body, headers)).toThrow(expect.objectContaining({ code: 'invalid_signature' }));
  });
});

describe('webhookMiddleware on Express', () => {
  let server: Server;
  let url: string;
  const received: WebhookEvent[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    // The receiver learns its secret once the webhook exists (below): the middleware reads the list at each request.
    const app = express();
    app.post('/hooks/herald', webhookMiddleware(secrets, { limit: '64kb' }), (req, res) => {
      received.push(req.webhook!);
      res.status(204).end();
    });
    app.post('/hooks/parsed', express.json(), webhookMiddleware(`whsec_${Buffer.alloc(32, 1).toString('base64')}`), (_req, res) => {
      res.status(204).end();
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands the handler the verified event of a real delivery as req.webhook', async () => {
    const webhook = await client.webhooks.create({ url: `${url}/hooks/herald`, events: ['order.placed'] });
    secrets.push(webhook.secret);
    const published = await client.events.publish({ type: 'order.placed', data: { order: 1 } });
    await waitFor(() => received.length === 1, { message: 'the delivery at the Express receiver' });
    expect(received[0]).toMatchObject({ id: published.id, type: 'order.placed', data: { order: 1 } });
    // The attempt is written once the 204 is back at the worker.
    const attempt = await waitFor(async () => (await client.webhooks.deliveries(webhook.id)).items[0], { message: 'the attempt in the delivery log' });
    expect(attempt).toMatchObject({ outcome: 'success', statusCode: 204 });
  });

  it('answers 400 problem+json to a forged or stale request, and 413 to one over the limit', async () => {
    const body = JSON.stringify({ id: 'evt_forged', type: 'order.placed', timestamp: new Date().toISOString(), tenant: 'default', data: {} });
    const now = Math.floor(Date.now() / 1000);
    const forged = await fetch(`${url}/hooks/herald`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'evt_forged', 'webhook-timestamp': String(now), 'webhook-signature': 'v1,AAAA' },
      body,
    });
    expect(forged.status).toBe(400);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    expect(await forged.json()).toMatchObject({ status: 400, title: 'Invalid webhook', detail: 'no signature matches the secret' });

    // Signed right, but ten minutes old: a replayed capture.
    const stale = new StandardWebhook(secrets[0]!).sign('evt_old', new Date((now - 600) * 1000), body);
    const replayed = await fetch(`${url}/hooks/herald`, {
      method: 'POST',
      headers: { 'webhook-id': 'evt_old', 'webhook-timestamp': String(now - 600), 'webhook-signature': stale },
      body,
    });
    expect(replayed.status).toBe(400);
    expect(((await replayed.json()) as { detail: string }).detail).toMatch(/too old/);

    const missing = await fetch(`${url}/hooks/herald`, { method: 'POST', body });
    expect(missing.status).toBe(400);

    const large = await fetch(`${url}/hooks/herald`, { method: 'POST', body: 'x'.repeat(70_000) });
    expect(large.status).toBe(413);
    expect(received).toHaveLength(1);
  });

  it('fails loudly, not with a 400, when a JSON parser ate the raw body first', async () => {
    const response = await fetch(`${url}/hooks/parsed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(response.status).toBe(500);
  });

  it('refuses a malformed secret when it is made, not at each request', () => {
    expect(() => webhookMiddleware('whsec_???')).toThrow(TypeError);
  });
});
