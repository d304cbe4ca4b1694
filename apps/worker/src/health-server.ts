// The worker's own HTTP port: Prometheus metrics, liveness and readiness (Redis reachable).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { RedisProbe, type Logger, type RedisClient } from '@herald/shared';
import type { Service } from './service';

/** Ports after HERALD_METRICS_PORT tried when it is taken. */
const PORTS_TRIED = 100;

/** Listens on `port`; false when it is in use, any other failure throws. */
function listen(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export class HealthServer implements Service {
  readonly name = 'health';
  private server: Server | undefined;
  private ready = false;
  private readonly probe: RedisProbe;

  constructor(
    redis: RedisClient,
    private readonly registry: Registry,
    private readonly logger: Logger,
    private readonly host: string,
    private readonly port: number,
  ) {
    this.probe = new RedisProbe(redis);
  }

  /** Readiness also needs the worker itself to be running; the supervisor sets it. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.route(req.url ?? '/').then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type }).end(body);
      });
    });
    const server = this.server;
    // Several workers on one host all start at HERALD_METRICS_PORT: each one after the first takes
    // the next free port and says which, rather than dying on EADDRINUSE.
    let port = this.port;
    while (!(await listen(server, port, this.host))) {
      if (this.port === 0 || port - this.port >= PORTS_TRIED || port >= 65_535) {
        throw new Error(`HERALD_METRICS_PORT ${this.port} and the ${PORTS_TRIED} ports after it are in use on ${this.host}; set HERALD_METRICS_PORT to a free port`);
      }
      port++;
    }
    const bound = (server.address() as AddressInfo).port;
    if (this.port !== 0 && bound !== this.port) {
      this.logger.warn(
        { requestedPort: this.port, port: bound },
        `HERALD_METRICS_PORT ${this.port} is in use (another worker on this host?); metrics listen on ${bound} instead`,
      );
    }
    this.logger.info({ port: bound }, 'worker metrics listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async route(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/metrics') return { status: 200, type: this.registry.contentType, body: await this.registry.metrics() };
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      if (!this.ready) return json(503, { status: 'starting' });
      try {
        await this.probe.ping(1000);
        return json(200, { status: 'ready', redis: 'ok' });
      } catch (error) {
        return json(503, { status: 'unavailable', redis: (error as Error).message });
      }
    }
    return json(404, { status: 'not found' });
  }
}

function json(status: number, body: unknown) {
  return { status, type: 'application/json', body: JSON.stringify(body) };
}
