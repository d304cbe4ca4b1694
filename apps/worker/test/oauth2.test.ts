// OAuth2 client credentials across real worker processes: a local token endpoint that counts its
// requests, and a receiver that takes only live, unrevoked tokens.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhook, publish, receiverPool, startHerald, waitFor, type Herald } from '@herald/testing';

const TOKEN_LIFETIME_S = 5;
const CLIENT = { clientId: 'herald-client', clientSecret: 'client-secret-value' };

interface Issued {
  token: string;
  atMs: number;
  expiresAtMs: number;
}

/** A token endpoint: client_secret_basic for CLIENT, 5 s tokens; `mode` makes it refuse or fail. */
class TokenEndpoint {
  readonly issued: Issued[] = [];
  readonly revoked = new Set<string>();
  mode: 'ok' | 'refuse' | 'fail' = 'ok';
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (this.mode === 'fail') return json(503, { error: 'temporarily_unavailable' });
        if (this.mode === 'refuse' || form.get('grant_type') !== 'client_credentials' || basic !== `${CLIENT.clientId}:${CLIENT.clientSecret}`) {
          return json(401, { error: 'invalid_client' });
        }
        const now = Date.now();
        const issued = { token: `tok-${this.issued.length + 1}-${now}`, atMs: now, expiresAtMs: now + TOKEN_LIFETIME_S * 1000 };
        this.issued.push(issued);
        json(200, { access_token: issued.token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, scope: form.get('scope') });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/oauth/token`;
  }

  /** Whether `authorization` carries a token this endpoint issued that is neither expired nor revoked. */
  accepts(authorization: string | undefined): boolean {
    const token = authorization?.replace(/^Bearer /, '');
    const issued = this.issued.find((i) => i.token === token);
    return issued !== undefined && !this.revoked.has(issued.token) && Date.now() < issued.expiresAtMs;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const receivers = receiverPool();
const endpoint = new TokenEndpoint();
let herald: Herald;

beforeAll(async () => {
  await endpoint.start();
  herald = await startHerald('oauth2', { workers: 2 });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
  await endpoint.close();
});

const oauth2 = (extra: Record<string, unknown> = {}) => ({ type: 'oauth2', tokenUrl: endpoint.url, ...CLIENT, scope: 'hooks', ...extra });

/** Successful deliveries a worker has made, from its /metrics. */
async function successes(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return Number(/^herald_deliveries_total\{outcome="success"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

it('shares one token request per token lifetime across two workers', async () => {
  let unauthorized = 0;
  const hook = await receivers.start((request) => {
    if (endpoint.accepts(request.headers.authorization as string | undefined)) return { status: 200 };
    unauthorized += 1;
    return { status: 401 };
  });
  await createWebhook(herald.client, { tenant: 'oauth', url: hook.url, events: ['order.*'], auth: oauth2() });

  // Deliveries over 8 s, a few at a time, so both workers deliver while tokens expire.
  const started = Date.now();
  let published = 0;
  while (Date.now() - started < 8000) {
    await Promise.all([0, 1, 2].map(() => publish(herald.client, { tenant: 'oauth', type: 'order.paid', data: { n: published++ } })));
    await waitFor(() => hook.requests.length >= published, { timeoutMs: 10_000, message: `${published} deliveries` });
  }
  await herald.waitForSettled();
  const elapsedMs = Date.now() - started;
  expect(unauthorized).toBe(0);
  expect(hook.requests.every((r) => r.headers['x-herald-attempt'] === '1')).toBe(true);
  // Both workers delivered, each with tokens the other fetched as often as its own.
  const perWorker = await Promise.all(herald.workers.map((w) => successes(w.metricsUrl)));
  expect(perWorker.every((n) => n > 0)).toBe(true);
  // At most one token request per token lifetime: a renewal starts ahead of expiry, never two at once.
  expect(endpoint.issued.length).toBeGreaterThanOrEqual(2);
  expect(endpoint.issued.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / (TOKEN_LIFETIME_S * 1000)) + 1);
  for (let i = 1; i < endpoint.issued.length; i++) {
    expect(endpoint.issued[i]!.atMs - endpoint.issued[i - 1]!.atMs).toBeGreaterThanOrEqual(TOKEN_LIFETIME_S * 1000 * 0.7);
  }
});

it('replaces a revoked token after a single 401, within the same attempt', async () => {
  let unauthorized = 0;
  const hook = await receivers.start((request) => {
    if (endpoint.accepts(request.headers.authorization as string | undefined)) return { status: 200 };
    unauthorized += 1;
    return { status: 401 };
  });
  // A configuration of its own (another scope): its token is fetched now, fresh for 4 s before renewal.
  await createWebhook(herald.client, { tenant: 'oauth-revoke', url: hook.url, events: ['order.*'], auth: oauth2({ scope: 'revocation' }) });
  await publish(herald.client, { tenant: 'oauth-revoke', type: 'order.paid', data: {} });
  await hook.waitForRequests(1);
  const before = endpoint.issued.length;
  for (const issued of endpoint.issued) endpoint.revoked.add(issued.token);

  const eventId = await publish(herald.client, { tenant: 'oauth-revoke', type: 'order.paid', data: { after: 'revocation' } });
  await waitFor(() => hook.requests.find((r) => r.headers['webhook-id'] === eventId && endpoint.accepts(r.headers.authorization as string)), {
    timeoutMs: 10_000,
    message: 'the delivery with a new token',
  });
  await herald.waitForSettled();
  const tries = hook.requests.filter((r) => r.headers['webhook-id'] === eventId);
  expect(tries.map((r) => r.headers['x-herald-attempt'])).toEqual(['1', '1']);
  expect(unauthorized).toBe(1);
  expect(endpoint.issued.length).toBe(before + 1);
  const event = await herald.client.get(`/v1/events/${eventId}`);
  expect(event.body.deliveries).toEqual([expect.objectContaining({ outcome: 'success', attempt: 1 })]);
});

it('dead-letters when the token endpoint refuses, naming it, and publishes webhook.auth_failed', async () => {
  const hook = await receivers.start();
  const { id } = await createWebhook(herald.client, {
    tenant: 'oauth-refused', url: hook.url, events: ['order.*'], auth: oauth2({ clientSecret: 'wrong-secret' }), retry: { maxRetries: 3 },
  });
  await publish(herald.client, { tenant: 'oauth-refused', type: 'order.paid', data: {} });
  const deadLetters = await waitFor(
    async () => {
      const response = await herald.client.get(`/v1/dead-letters?webhookId=${id}`);
      return response.body.data?.length > 0 ? response.body.data : undefined;
    },
    { timeoutMs: 15_000, message: 'the dead letter' },
  );
  expect(deadLetters[0]).toMatchObject({ attempts: 1, lastError: `AUTH_REJECTED: token endpoint ${endpoint.url} answered HTTP 401 (invalid_client)` });
  expect(hook.requests).toHaveLength(0);
  const events = await waitFor(
    async () => {
      const response = await herald.client.get('/v1/events?type=webhook.auth_failed');
      return (response.body.data as { data: { webhookId: string } }[]).find((e) => e.data.webhookId === id);
    },
    { timeoutMs: 15_000, message: 'webhook.auth_failed' },
  );
  expect(events).toMatchObject({ tenant: 'oauth-refused', data: { reason: expect.stringContaining(endpoint.url) } });
  expect(JSON.stringify(events)).not.toContain('wrong-secret');
});

it('retries while the token endpoint fails, without opening the endpoint circuit', async () => {
  const hook = await receivers.start();
  endpoint.mode = 'fail';
  try {
    const { id } = await createWebhook(herald.client, {
      tenant: 'oauth-down',
      url: hook.url,
      events: ['order.*'],
      auth: oauth2({ scope: 'down' }),
      retry: { maxRetries: 2, initialDelayMs: 100, jitter: 0, backoffMultiplier: 1 },
      circuitBreaker: { failureThreshold: 1 },
    });
    await publish(herald.client, { tenant: 'oauth-down', type: 'order.paid', data: {} });
    const deadLetter = await waitFor(
      async () => (await herald.client.get(`/v1/dead-letters?webhookId=${id}`)).body.data?.[0],
      { timeoutMs: 15_000, message: 'the dead letter after every retry' },
    );
    expect(deadLetter).toMatchObject({ attempts: 3, lastError: `AUTH_UNAVAILABLE: token endpoint ${endpoint.url} answered HTTP 503` });
    expect((await herald.client.get(`/v1/webhooks/${id}`)).body.circuit).toMatchObject({ state: 'closed' });
  } finally {
    endpoint.mode = 'ok';
  }
});
