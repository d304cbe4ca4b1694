// Retries, timeouts and network failures, against real loopback servers that misbehave on purpose,
// and a publish whose answer is lost on its way back from a real API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { receiverPool, startHerald, type Herald as RunningHerald } from '@herald/testing';
import { Herald, HeraldApiError, HeraldNetworkError } from '../src';

const receivers = receiverPool();
const servers: Server[] = [];
const FAST = { initialDelayMs: 10, maxDelayMs: 2000 };
const WEBHOOKS = JSON.stringify({ data: [] });
const PROBLEM_503 = JSON.stringify({ type: 'about:blank', title: 'Service unavailable', status: 503, detail: 'Storage is unreachable; retry shortly' });
const json = { 'content-type': 'application/json' };
const problem = { 'content-type': 'application/problem+json' };

afterAll(async () => {
  await receivers.closeAll();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server whose handler decides, request by request (1-based), what happens. */
async function server(handle: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<string> {
  let n = 0;
  const started = createServer((req, res) => handle(req, res, ++n));
  servers.push(started);
  started.listen(0, '127.0.0.1');
  await once(started, 'listening');
  return `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
}

function clientFor(url: string, options: Partial<ConstructorParameters<typeof Herald>[0]> = {}): Herald {
  return new Herald({ baseUrl: url.replace(/\/hook$/, ''), token: 'test-token-0123456789', retry: FAST, ...options });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('429 and 503', () => {
  it('retries a read after 503, waiting the Retry-After asked for', async () => {
    const api = await receivers.start((_req, n) => (n === 1 ? { status: 503, headers: { ...problem, 'retry-after': '1' }, body: PROBLEM_503 } : { status: 200, headers: json, body: WEBHOOKS }));
    expect(await clientFor(api.url).webhooks.list()).toEqual([]);
    expect(api.requests).toHaveLength(2);
    expect(api.requests[1]!.receivedAt - api.requests[0]!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('retries a 429 of any request, creating a webhook included, with backoff', async () => {
    const created = { id: 'wh_1', secret: 'whsec_x' };
    const api = await receivers.start((_req, n) => (n < 3 ? { status: 429, body: '' } : { status: 201, headers: json, body: JSON.stringify(created) }));
    expect(await clientFor(api.url).webhooks.create({ url: 'https://example.com/h' })).toEqual(created);
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(JSON.parse(api.requests[2]!.body)).toEqual({ url: 'https://example.com/h' });
  });

  it('does not repeat a 503 of a request that is not safe to repeat: creating a webhook', async () => {
    const api = await receivers.start(() => ({ status: 503, headers: problem, body: PROBLEM_503 }));
    const error = await caught(clientFor(api.url).webhooks.create({ url: 'https://example.com/h' }));
    expect(error).toBeInstanceOf(HeraldApiError);
    expect(error).toMatchObject({ status: 503, problem: { title: 'Service unavailable' } });
    expect(api.requests).toHaveLength(1);
  });

  it('gives up after maxRetries, and at once when Retry-After is longer than maxDelayMs', async () => {
    const api = await receivers.start(() => ({ status: 503, headers: problem, body: PROBLEM_503 }));
    expect(await caught(clientFor(api.url, { retry: { ...FAST, maxRetries: 2 } }).webhooks.get('wh_1'))).toMatchObject({ name: 'HeraldApiError', status: 503 });
    expect(api.requests).toHaveLength(3);

    const slow = await receivers.start(() => ({ status: 429, headers: { 'retry-after': '60' }, body: 'slow down' }));
    const error = await caught(clientFor(slow.url).stats());
    expect(error).toMatchObject({ status: 429, problem: { status: 429, detail: 'slow down' } });
    expect(slow.requests).toHaveLength(1);
  });

  it('sends the same idempotency key on every attempt of one publish', async () => {
    const api = await receivers.start((_req, n) => (n === 1 ? { status: 503, headers: problem, body: PROBLEM_503 } : { status: 202, headers: json, body: '{"id":"evt_1","duplicate":true}' }));
    expect(await clientFor(api.url).events.publish({ type: 'a.b' })).toEqual({ id: 'evt_1', duplicate: true });
    const keys = api.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });
});

describe('network failures and timeouts', () => {
  it('retries a read whose connection broke, but not a webhook creation', async () => {
    const url = await server((_req, res, n) => {
      if (n === 1 || n === 3) return res.socket?.destroy();
      res.writeHead(200, json).end(WEBHOOKS);
    });
    expect(await clientFor(url).webhooks.list()).toEqual([]);
    const error = await caught(clientFor(url).webhooks.create({ url: 'https://example.com/h' }));
    expect(error).toBeInstanceOf(HeraldNetworkError);
    expect(error).toMatchObject({ name: 'HeraldNetworkError', code: 'network_error', timedOut: false });
  });

  it('throws HeraldNetworkError when nothing listens', async () => {
    const url = await server(() => undefined);
    servers.at(-1)!.close();
    await once(servers.at(-1)!, 'close');
    const error = await caught(clientFor(url, { retry: { maxRetries: 1, initialDelayMs: 10 } }).webhooks.list());
    expect(error).toMatchObject({ name: 'HeraldNetworkError', code: 'network_error', message: expect.stringContaining('ECONNREFUSED') });
    expect(error).not.toBeInstanceOf(HeraldApiError);
  });

  it('abandons an attempt after timeoutMs: HeraldNetworkError with timedOut', async () => {
    const url = await server(() => undefined);
    const started = Date.now();
    const error = await caught(clientFor(url, { timeoutMs: 200, retry: { maxRetries: 0 } }).webhooks.list());
    expect(error).toMatchObject({ name: 'HeraldNetworkError', code: 'timeout', timedOut: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('a publish whose answer is lost, against a real API', () => {
  let herald: RunningHerald;

  beforeAll(async () => {
    herald = await startHerald('sdk-retries', { workers: 0 });
  });

  afterAll(() => herald?.stop());

  it('is retried with its key and accepted once', async () => {
    // A proxy that passes the first publish to the API, then drops the connection instead of answering.
    const proxy = await server((req, res, n) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
        void fetch(`${herald.api.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }).then(async (answer) => {
          if (n === 1) return res.socket?.destroy();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' }).end(await answer.text());
        });
      });
    });
    const client = new Herald({ baseUrl: proxy, token: herald.api.token, retry: FAST });
    const result = await client.events.publish({ type: 'lost.answer', data: { n: 1 } });
    expect(result.duplicate).toBe(true);
    const direct = new Herald({ baseUrl: herald.api.url, token: herald.api.token });
    const events = await direct.events.list({ type: 'lost.answer' });
    expect(events.map((e) => e.id)).toEqual([result.id]);
  });
});
