// Deliveries through an HTTP CONNECT proxy (HERALD_EGRESS_PROXY) across real worker processes: the
// proxy carries every delivery but those to HERALD_NO_PROXY hosts, and while it is down deliveries
// wait without spending attempts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhook, publish, startConnectProxy, startHerald, waitFor, type ConnectProxy, type Herald } from '@herald/testing';

interface Seen {
  path: string;
  eventId: string;
  attempt: string;
  /** The port the request came from: one of the proxy's own connections when it was tunnelled. */
  fromPort: number;
}

let herald: Herald;
let proxy: ConnectProxy;
let receiver: Server;
let port = 0;
const seen: Seen[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url ?? '', eventId: String(req.headers['webhook-id']), attempt: String(req.headers['x-herald-attempt']), fromPort: req.socket.remotePort ?? 0 });
      res.writeHead(200).end('ok');
    });
  });
  receiver.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  port = (receiver.address() as AddressInfo).port;
  proxy = await startConnectProxy({ username: 'herald', password: 'proxy secret' });
  herald = await startHerald('egress-proxy', {
    workers: 2,
    workerEnv: { HERALD_EGRESS_PROXY: proxy.url, HERALD_NO_PROXY: 'localhost', HERALD_EGRESS_RETRY_MS: '300' },
  });
});

afterAll(async () => {
  await herald?.stop();
  await proxy?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

/** Deliveries a worker held because the egress proxy failed, from its /metrics. */
async function heldForEgress(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return Number(/^herald_deliveries_deferred_total\{reason="egress"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

it('sends every delivery through the proxy, except those to HERALD_NO_PROXY hosts', async () => {
  await createWebhook(herald.client, { tenant: 'egress', url: `http://127.0.0.1:${port}/proxied`, events: ['order.*'] });
  await createWebhook(herald.client, { tenant: 'egress', url: `http://localhost:${port}/direct`, events: ['order.*'] });
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(await publish(herald.client, { tenant: 'egress', type: 'order.paid', data: { i } }));
  await waitFor(() => seen.filter((s) => ids.includes(s.eventId)).length === 40, { timeoutMs: 20_000, message: '40 deliveries' });
  await herald.waitForSettled();
  const proxied = seen.filter((s) => s.path === '/proxied' && ids.includes(s.eventId));
  const direct = seen.filter((s) => s.path === '/direct' && ids.includes(s.eventId));
  expect(proxied).toHaveLength(20);
  expect(direct).toHaveLength(20);
  expect(proxied.every((s) => proxy.upstreamPorts.has(s.fromPort))).toBe(true);
  expect(direct.some((s) => proxy.upstreamPorts.has(s.fromPort))).toBe(false);
  // The tunnels went to the address the workers resolved, never to a name.
  expect(new Set(proxy.tunnels)).toEqual(new Set([`127.0.0.1:${port}`]));
});

it('holds deliveries while the proxy is down, spending no attempt, and delivers them once it is back', async () => {
  const { id } = await createWebhook(herald.client, {
    tenant: 'egress-down', url: `http://127.0.0.1:${port}/held`, events: ['order.*'], retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 1 },
  });
  await proxy.stop();
  const heldBefore = (await Promise.all(herald.workers.map((w) => heldForEgress(w.metricsUrl)))).reduce((a, b) => a + b, 0);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await publish(herald.client, { tenant: 'egress-down', type: 'order.paid', data: { i } }));
  // Each delivery is held, then held again on its next try: proof that they wait rather than fail.
  await waitFor(async () => (await Promise.all(herald.workers.map((w) => heldForEgress(w.metricsUrl)))).reduce((a, b) => a + b, 0) >= heldBefore + 6, {
    timeoutMs: 20_000,
    message: 'deliveries held twice each while the proxy is down',
  });
  expect((await herald.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data).toEqual([]);
  expect((await herald.client.get(`/v1/webhooks/${id}/deliveries`)).body.data).toEqual([]);
  expect((await herald.client.get(`/v1/webhooks/${id}`)).body.circuit).toMatchObject({ state: 'closed' });

  await proxy.start();
  await waitFor(() => ids.every((eventId) => seen.some((s) => s.eventId === eventId)), { timeoutMs: 20_000, message: 'the held deliveries, once the proxy is back' });
  await herald.waitForSettled();
  expect(seen.filter((s) => ids.includes(s.eventId)).map((s) => s.attempt)).toEqual(['1', '1', '1']);
});
