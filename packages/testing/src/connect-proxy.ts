// A real HTTP CONNECT proxy on loopback for tests: it records every tunnel it opens, may require
// basic credentials, and can be stopped and started again on the same port.
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  /** http://[user:password@]127.0.0.1:port */
  url: string;
  port: number;
  /** `host:port` of every tunnel asked for, in order. */
  tunnels: string[];
  /** The local ports of the proxy's connections to targets: a receiver sees a tunnelled request come from one. */
  upstreamPorts: Set<number>;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startConnectProxy(options: { username?: string; password?: string; port?: number } = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const upstreamPorts = new Set<number>();
  const sockets = new Set<Socket>();
  const expected = options.username ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
  let server: Server | undefined;
  let port = options.port ?? 0;

  const listen = async () => {
    server = createServer((_req, res) => res.writeHead(405).end());
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('connect', (req, client: Socket, head: Buffer) => {
      if (expected && req.headers['proxy-authorization'] !== expected) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
        return;
      }
      const target = req.url ?? '';
      tunnels.push(target);
      const split = target.lastIndexOf(':');
      const upstream = connect(Number(target.slice(split + 1)), target.slice(0, split).replace(/^\[(.*)\]$/, '$1'), () => {
        if (upstream.localPort !== undefined) upstreamPorts.add(upstream.localPort);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  };

  await listen();
  const credentials = options.username ? `${encodeURIComponent(options.username)}:${encodeURIComponent(options.password ?? '')}@` : '';
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    port,
    tunnels,
    upstreamPorts,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
    start: listen,
  };
}
