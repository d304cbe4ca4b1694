import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient, RESPONSE_BODY_LIMIT } from './http-client';
import { parseHostList } from '@herald/shared';
import { startConnectProxy } from '@herald/testing';

let server: Server;
let base: string;
const client = new HttpClient({ requireHttps: false, allowPrivate: true });

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/big') return res.end('x'.repeat(5 * 1024 * 1024));
    if (req.url === '/slow') {
      const timer = setTimeout(() => res.end('late'), 2000);
      return void res.on('close', () => clearTimeout(timer));
    }
    if (req.url === '/drip') {
      // Headers at once, then a byte every 50 ms for 3 s: no single wait is long, the whole is.
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 50);
      const stop = setTimeout(() => res.end(), 3000);
      return void res.on('close', () => (clearInterval(timer), clearTimeout(stop)));
    }
    if (req.url === '/echo') {
      let body = '';
      req.on('data', (c) => (body += c));
      return req.on('end', () => res.writeHead(201, { 'x-method': req.method ?? '' }).end(body));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (path: string, timeoutMs = 5000) =>
  client.send({ url: `${base}${path}`, method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs });

describe('HttpClient', () => {
  it('sends the method, headers and body, and returns status and body', async () => {
    const result = await send('/echo');
    expect(result).toMatchObject({ kind: 'response', statusCode: 201, body: '{"a":1}' });
    expect(result.kind === 'response' && result.headers['x-method']).toBe('PUT');
  });

  it('keeps only the first 1 KiB of a large body', async () => {
    const result = await send('/big');
    expect(result.kind === 'response' && result.body.length).toBe(RESPONSE_BODY_LIMIT);
    expect((await send('/echo')).kind).toBe('response');
  });

  it('reports a timeout as an error, not a throw', async () => {
    const started = Date.now();
    expect(await send('/slow', 200)).toMatchObject({ kind: 'error', code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('bounds the whole request by its timeout, a slowly dripping body included', async () => {
    const started = Date.now();
    const result = await send('/drip', 400);
    expect(Date.now() - started).toBeLessThan(1500);
    // The status had arrived: it decides the outcome; the body that broke off is noted.
    expect(result).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(result.kind === 'response' && result.body).toMatch(/^\[response body unreadable: no complete answer within 400 ms\]$/);
  });

  it('refuses non-public targets at connect time, by literal address and by resolved name', async () => {
    const strict = new HttpClient({ requireHttps: false, allowPrivate: false });
    try {
      const literal = await strict.send({ url: `${base}/echo`, method: 'POST', headers: {}, body: '', timeoutMs: 2000 });
      expect(literal).toMatchObject({ kind: 'error', code: 'TARGET_REFUSED' });
      const named = await strict.send({ url: base.replace('127.0.0.1', 'localhost') + '/echo', method: 'POST', headers: {}, body: '', timeoutMs: 2000 });
      expect(named).toMatchObject({ kind: 'error', code: 'TARGET_REFUSED', message: expect.stringMatching(/not public/) });
      const production = new HttpClient({ requireHttps: true, allowPrivate: true });
      expect(await production.send({ url: `${base}/echo`, method: 'POST', headers: {}, body: '', timeoutMs: 2000 })).toMatchObject({
        kind: 'error', code: 'TARGET_REFUSED',
      });
      await production.close();
    } finally {
      await strict.close();
    }
    // The default client allows loopback, so the server really was reachable.
    expect((await client.send({ url: base.replace('127.0.0.1', 'localhost') + '/echo', method: 'POST', headers: {}, body: 'x', timeoutMs: 2000 })).kind).toBe('response');
  });

  it('refuses a metadata address even with private targets allowed, unless it is named', async () => {
    const metadata = await client.send({ url: 'http://169.254.169.254/latest/meta-data', method: 'POST', headers: {}, body: '', timeoutMs: 2000 });
    expect(metadata).toMatchObject({ kind: 'error', code: 'TARGET_REFUSED', message: expect.stringMatching(/cloud metadata/) });
    // Loopback listed by name opens it to a client that otherwise refuses private targets.
    const listed = new HttpClient({ requireHttps: false, allowPrivate: false, allowedPrivate: parseHostList('localhost') });
    try {
      const named = await listed.send({ url: base.replace('127.0.0.1', 'localhost') + '/echo', method: 'POST', headers: {}, body: 'x', timeoutMs: 2000 });
      expect(named.kind).toBe('response');
      expect(await listed.send({ url: `${base}/echo`, method: 'POST', headers: {}, body: '', timeoutMs: 2000 })).toMatchObject({ code: 'TARGET_REFUSED' });
    } finally {
      await listed.close();
    }
  });

  it('reports refused connections and unknown hosts as errors', async () => {
    const refused = await client.send({ url: 'http://127.0.0.1:1/', method: 'POST', headers: {}, body: '', timeoutMs: 2000 });
    expect(refused).toMatchObject({ kind: 'error', code: 'ECONNREFUSED' });
    const unknown = await client.send({ url: 'http://no-such-host.invalid/', method: 'POST', headers: {}, body: '', timeoutMs: 2000 });
    expect(unknown.kind).toBe('error');
  });
});

describe('through an egress proxy', () => {
  const post = (client: HttpClient, url: string) => client.send({ url, method: 'POST', headers: {}, body: 'x', timeoutMs: 3000 });

  it('tunnels to the address it resolved and checked itself, and connects directly to HERALD_NO_PROXY hosts', async () => {
    const proxy = await startConnectProxy({ username: 'herald', password: 'p@ss word' });
    const client = new HttpClient({ requireHttps: false, allowPrivate: true }, { proxy: { url: new URL(proxy.url), noProxy: parseHostList('localhost') } });
    try {
      expect((await post(client, `${base}/echo`)).kind).toBe('response');
      expect(proxy.tunnels).toEqual([base.replace('http://', '')]);
      // HERALD_NO_PROXY: straight there.
      expect((await post(client, base.replace('127.0.0.1', 'localhost') + '/echo')).kind).toBe('response');
      expect(proxy.tunnels).toHaveLength(1);
      // A cloud metadata address is refused before any CONNECT.
      expect(await post(client, 'http://169.254.169.254/latest')).toMatchObject({ kind: 'error', code: 'TARGET_REFUSED' });
      expect(proxy.tunnels).toHaveLength(1);
    } finally {
      await client.close();
      await proxy.stop();
    }
  });

  it('refuses a private target by name before any CONNECT', async () => {
    const proxy = await startConnectProxy();
    const client = new HttpClient({ requireHttps: false, allowPrivate: false }, { proxy: { url: new URL(proxy.url), noProxy: parseHostList('') } });
    try {
      expect(await post(client, base.replace('127.0.0.1', 'localhost') + '/echo')).toMatchObject({ kind: 'error', code: 'TARGET_REFUSED' });
      expect(proxy.tunnels).toEqual([]);
    } finally {
      await client.close();
      await proxy.stop();
    }
  });

  it('reports a proxy that refuses credentials, or is down, as PROXY_FAILED', async () => {
    const proxy = await startConnectProxy({ username: 'herald', password: 'right' });
    const wrong = new URL(proxy.url);
    wrong.password = 'wrong';
    const client = new HttpClient({ requireHttps: false, allowPrivate: true }, { proxy: { url: wrong, noProxy: parseHostList('') } });
    try {
      expect(await post(client, `${base}/echo`)).toMatchObject({ kind: 'error', code: 'PROXY_FAILED', message: 'the egress proxy answered 407 to CONNECT' });
      await proxy.stop();
      expect(await post(client, `${base}/echo`)).toMatchObject({ kind: 'error', code: 'PROXY_FAILED', message: expect.stringMatching(/could not be reached \(ECONNREFUSED\)/) });
    } finally {
      await client.close();
    }
  });
});
