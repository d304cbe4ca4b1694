// Starts the worker's services in order and stops them in reverse, once, within a deadline.
import type { Logger } from '@herald/shared';
import type { Service } from './service';

export class Supervisor {
  private started: Service[] = [];
  private stopping: Promise<boolean> | undefined;

  constructor(
    private readonly services: readonly Service[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const service of this.services) {
      await service.start();
      this.started.push(service);
      this.logger.debug({ service: service.name }, 'service started');
    }
  }

  /**
   * Stops every started service, last started first. Resolves true when all stopped within
   * `timeoutMs`, false when the deadline passed first (the caller then exits anyway).
   */
  stop(timeoutMs: number): Promise<boolean> {
    this.stopping ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const orderly = (async () => {
        for (const service of [...this.started].reverse()) {
          try {
            await service.stop();
            this.logger.debug({ service: service.name }, 'service stopped');
          } catch (error) {
            this.logger.error({ err: error, service: service.name }, 'service failed to stop cleanly');
          }
        }
        return true as const;
      })();
      const result = await Promise.race([orderly, deadline]);
      clearTimeout(timer);
      return result;
    })();
    return this.stopping;
  }
}
