// Idle keep-alive connections, on the API as it listens: kept HERALD_HTTP_KEEPALIVE_TIMEOUT_MS
// (65 s by default, longer than a load balancer's usual 60 s idle timeout, which would otherwise
// reuse a connection the API had just closed and answer 502), and said so in `Keep-Alive`.
import { connect, type Socket } from 'node:net';
import { startApi, testRedisUrl, uniquePrefix, waitFor, type RunningApi } from '@herald/testing';

const running: RunningApi[] = [];

afterAll(async () => {
  await Promise.all(running.map((api) => api.stop('SIGTERM')));
});

async function start(env: Record<string, string> = {}): Promise<RunningApi> {
  const api = await startApi({ REDIS_URL: testRedisUrl(), HERALD_PREFIX: uniquePrefix('keep-alive'), ...env });
  running.push(api);
  return api;
}

interface Exchange {
  socket: Socket;
  /** The response's header block, lowercased names. */
  headers: Record<string, string>;
  /** When the whole response had arrived (ms, performance.now()). */
  answeredAt: number;
  /** When the server closed the connection, once it has. */
  closedAt(): number | undefined;
}

/** One keep-alive request on a socket of its own, left open afterwards. */
async function request(api: RunningApi): Promise<Exchange> {
  const { hostname, port } = new URL(api.url);
  const socket = connect(Number(port), hostname);
  let closedAt: number | undefined;
  socket.on('close', () => (closedAt = performance.now()));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET /healthz HTTP/1.1\r\nhost: ${hostname}\r\nconnection: keep-alive\r\n\r\n`);
  const complete = () => {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
    return received.length >= end + 4 + length;
  };
  await waitFor(complete, { timeoutMs: 5_000, message: 'the answer to GET /healthz' });
  const answeredAt = performance.now();
  const head = received.slice(0, received.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  const headers = Object.fromEntries(head.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { socket, headers, answeredAt, closedAt: () => closedAt };
}

it('says timeout=65 in Keep-Alive by default', async () => {
  const api = await start();
  const exchange = await request(api);
  try {
    expect(exchange.headers.connection).toBe('keep-alive');
    expect(exchange.headers['keep-alive']).toBe('timeout=65');
  } finally {
    exchange.socket.destroy();
  }
});

it('keeps an idle connection open until HERALD_HTTP_KEEPALIVE_TIMEOUT_MS, then closes it', async () => {
  // Shorter than Node's own 5 s default, so that the test is quick and could not pass on it.
  const keepAliveMs = 2_000;
  const api = await start({ HERALD_HTTP_KEEPALIVE_TIMEOUT_MS: String(keepAliveMs) });
  const exchange = await request(api);
  try {
    expect(exchange.headers['keep-alive']).toBe('timeout=2');
    // Open until the timeout: no close before it (checked as the time passes, to the deadline)…
    await waitFor(() => exchange.closedAt() !== undefined || performance.now() - exchange.answeredAt >= keepAliveMs - 100, {
      timeoutMs: keepAliveMs + 1_000,
      message: 'the keep-alive timeout to come near',
    });
    expect(exchange.closedAt()).toBeUndefined();
    // …and closed soon after it.
    await waitFor(() => exchange.closedAt() !== undefined, { timeoutMs: 2_000, message: 'the API to close the idle connection' });
    expect(exchange.closedAt()! - exchange.answeredAt).toBeGreaterThanOrEqual(keepAliveMs - 100);
  } finally {
    exchange.socket.destroy();
  }
});
