// A real HTTP receiver on loopback that records every request and answers as the test says.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor, type WaitOptions } from './wait';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Unix ms when the request had been read. */
  receivedAt: number;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** Decides the answer to the n-th request (1-based). Default: 200. */
export type Responder = (request: ReceivedRequest, n: number) => Reply | Promise<Reply>;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  respond(responder: Responder): void;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, options?: WaitOptions): Promise<ReceivedRequest[]>;
  /** Connections open to it now (a sender that died has its connections closed, and everything it sent read). */
  openConnections(): number;
  close(): Promise<void>;
}

export async function startReceiver(responder: Responder = () => ({ status: 200, body: 'ok' })): Promise<Receiver> {
  let current = responder;
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      requests.push(request);
      void Promise.resolve(current(request, requests.length)).then((reply) => {
        res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  let open = 0;
  server.on('connection', (socket) => {
    open += 1;
    socket.once('close', () => (open -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respond(next) {
      current = next;
    },
    openConnections: () => open,
    async waitForRequests(count, options) {
      await waitFor(() => requests.length >= count, {
        message: `${count} requests at the receiver (have ${requests.length})`,
        ...options,
      });
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Receivers a test file starts, closed together at the end (`afterAll(() => pool.closeAll())`). */
export function receiverPool() {
  const started: Receiver[] = [];
  return {
    async start(responder?: Responder): Promise<Receiver> {
      const receiver = await startReceiver(responder);
      started.push(receiver);
      return receiver;
    },
    async closeAll(): Promise<void> {
      await Promise.all(started.splice(0).map((receiver) => receiver.close()));
    },
  };
}
