// Mutual TLS across real worker processes: a loopback HTTPS receiver that requires a client
// certificate signed by a CA made for this test, and counts its handshakes.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createTestPki, createWebhook, publish, publishBatch, startHerald, waitFor, type Herald, type TestPki } from '@herald/testing';

const WORKERS = 2;
const MAX_IN_FLIGHT = 4;

let herald: Herald;
let pki: TestPki;
let server: Server;
let url = '';
let handshakes = 0;
const received: { eventId: string; clientName: string }[] = [];

beforeAll(async () => {
  pki = createTestPki();
  server = createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    req.resume();
    req.on('end', () => {
      received.push({ eventId: String(req.headers['webhook-id']), clientName: String(peer.subject?.CN) });
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('secureConnection', () => (handshakes += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  herald = await startHerald('mtls', { workers: WORKERS });
});

afterAll(async () => {
  await herald?.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  pki?.remove();
});

it('presents the client certificate, and reuses its connections: 200 deliveries, at most 4 handshakes per worker', async () => {
  const client = pki.client({ commonName: 'herald-mtls' });
  await createWebhook(herald.client, {
    tenant: 'mtls', url, events: ['order.*'], maxInFlight: MAX_IN_FLIGHT, tls: { clientCert: client.cert, clientKey: client.key, ca: pki.caCert },
  });
  const before = handshakes;
  const ids = await publishBatch(herald.client, 'mtls', 'order.paid', 200);
  await waitFor(() => ids.every((id) => received.some((r) => r.eventId === id)), { timeoutMs: 30_000, message: '200 deliveries over mTLS' });
  await herald.waitForSettled();
  expect(received.filter((r) => ids.includes(r.eventId)).every((r) => r.clientName === 'herald-mtls')).toBe(true);
  expect(handshakes - before).toBeGreaterThan(0);
  expect(handshakes - before).toBeLessThanOrEqual(MAX_IN_FLIGHT * WORKERS);
});

it('is refused by the receiver with a certificate its CA did not sign', async () => {
  const stranger = createTestPki();
  const foreign = stranger.client({ commonName: 'stranger' });
  stranger.remove();
  const { id } = await createWebhook(herald.client, {
    tenant: 'mtls-none', url, events: ['order.*'], retry: { maxRetries: 0 }, tls: { clientCert: foreign.cert, clientKey: foreign.key, ca: pki.caCert },
  });
  await publish(herald.client, { tenant: 'mtls-none', type: 'order.paid', data: {} });
  const deadLetter = await waitFor(async () => (await herald.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data?.[0], {
    timeoutMs: 15_000,
    message: 'the refused delivery dead-lettered',
  });
  expect(deadLetter.lastError).toMatch(/ECONNRESET|certificate|alert|socket/i);
  expect(received.some((r) => r.clientName === 'stranger')).toBe(false);
});

it('publishes webhook.certificate_expiring within 14 days of expiry, once a day', async () => {
  const client = pki.client({ commonName: 'herald-expiring', days: 10 });
  const { id } = await createWebhook(herald.client, {
    tenant: 'mtls-expiring', url, events: ['order.*'], tls: { clientCert: client.cert, clientKey: client.key, ca: pki.caCert },
  });
  for (let i = 0; i < 3; i++) await publish(herald.client, { tenant: 'mtls-expiring', type: 'order.paid', data: { i } });
  await waitFor(() => received.filter((r) => r.clientName === 'herald-expiring').length >= 3, { timeoutMs: 15_000, message: 'three deliveries' });
  await herald.waitForSettled();
  const events = (await herald.client.get('/v1/events?type=webhook.certificate_expiring')).body.data as { data: { webhookId: string; daysLeft: number; expiresAt: string } }[];
  const mine = events.filter((e) => e.data.webhookId === id);
  expect(mine).toHaveLength(1);
  expect(mine[0]!.data.daysLeft).toBeGreaterThanOrEqual(9);
  expect(mine[0]!.data.daysLeft).toBeLessThanOrEqual(10);
});
