// The worker's own HTTP port: Prometheus metrics, liveness and readiness (Redis reachable).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { pingWithin, type Logger, type RedisClient } from '@herald/shared';
import type { Service } from './service';

export class HealthServer implements Service {
  readonly name = 'health';
  private server: Server | undefined;
  private ready = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly registry: Registry,
    private readonly logger: Logger,
    private readonly host: string,
    private readonly port: number,
  ) {}

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
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.port, this.host, () => resolve());
    });
    this.logger.info({ port: (this.server.address() as AddressInfo).port }, 'worker metrics listening');
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
        await pingWithin(this.redis, 1000);
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
