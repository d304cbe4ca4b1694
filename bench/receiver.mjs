// Benchmark receiver (a child process, so it does not share a core's event loop with the harness):
// answers 200 (or, for a URL with ?fail=<share>, 503 that share of the time at random; for a URL
// with ?down, 503 while the harness says the endpoint is down; with ?reject, 400 always), counts
// distinct webhook-ids, and
// measures publish→delivery from data.sentAt.
import { createServer } from 'node:http';

let seen = new Set();
let latencies = [];
let firstAt = 0;
let lastAt = 0;
let requests = 0;
/** The webhook-id of every request answered 200, repeats included. */
let received = [];
/** Endpoints whose URL holds "down" answer 503 while this is set. */
let down = false;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const failShare = Number(/[?&]fail=([0-9.]+)/.exec(req.url ?? '')?.[1] ?? 0);
    if (/[?&]reject/.test(req.url ?? '')) {
      res.statusCode = 400;
      return res.end('rejected');
    }
    if ((failShare > 0 && Math.random() < failShare) || (down && /[?&]down/.test(req.url ?? ''))) {
      res.statusCode = 503;
      return res.end('down');
    }
    const now = Date.now();
    requests += 1;
    const id = req.headers['webhook-id'] ?? `${requests}`;
    received.push(id);
    const key = `${id}|${req.url}`;
    if (!seen.has(key)) {
      seen.add(key);
      try {
        const sentAt = JSON.parse(Buffer.concat(chunks).toString()).data?.sentAt;
        if (typeof sentAt === 'number') latencies.push(now - sentAt);
      } catch {
        // not JSON: counted, not timed
      }
      firstAt ||= now;
      lastAt = now;
    }
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: server.address().port }));

process.on('message', (message) => {
  if (message === 'reset') {
    seen = new Set();
    latencies = [];
    firstAt = 0;
    lastAt = 0;
    requests = 0;
    received = [];
    process.send?.({ type: 'reset' });
  } else if (message === 'report') {
    process.send?.({ type: 'report', delivered: seen.size, requests, firstAt, lastAt });
  } else if (message === 'down' || message === 'up') {
    down = message === 'down';
    process.send?.({ type: message });
  } else if (message === 'ids') {
    process.send?.({ type: 'ids', ids: received });
  } else if (message === 'latencies') {
    process.send?.({ type: 'latencies', latencies });
  }
});
