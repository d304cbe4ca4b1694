// herald_fifo_backlog and herald_fifo_head_age_seconds, per FIFO webhook, from the figures each
// partition's pump reads. The label is bounded: the `maxWebhooks` webhooks with the most deliveries
// waiting have their own; the rest are summed (backlog) or their oldest taken (head age) under
// webhook="_other".
import { Gauge, type Registry } from 'prom-client';
import type { FifoFigures } from '@herald/shared';

export const OTHER_WEBHOOKS_LABEL = '_other';

export class FifoGauges {
  private readonly byPartition = new Map<number, readonly FifoFigures[]>();

  constructor(registry: Registry, private readonly maxWebhooks: number, private readonly now: () => number = Date.now) {
    const labelled = () => this.labelled();
    const nowMs = () => this.now();
    new Gauge({
      name: 'herald_fifo_backlog',
      help: `Deliveries waiting in the FIFO lines of a webhook, heads included (the ${maxWebhooks} webhooks with the most have their own label, the rest are summed under webhook="${OTHER_WEBHOOKS_LABEL}"; HERALD_FIFO_METRIC_WEBHOOKS).`,
      labelNames: ['webhook'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [webhook, figures] of labelled()) this.set({ webhook }, figures.deliveries);
      },
    });
    new Gauge({
      name: 'herald_fifo_head_age_seconds',
      help: `Age of the oldest head of a webhook's FIFO lines (since its event entered the stream): how long its oldest line has waited; labels bounded as herald_fifo_backlog.`,
      labelNames: ['webhook'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const now = nowMs();
        for (const [webhook, figures] of labelled()) {
          if (figures.oldestHeadMs !== undefined) this.set({ webhook }, Math.max(0, (now - figures.oldestHeadMs) / 1000));
        }
      },
    });
  }

  set(partition: number, figures: readonly FifoFigures[]): void {
    this.byPartition.set(partition, figures);
  }

  forget(partition: number): void {
    this.byPartition.delete(partition);
  }

  /** The figures by label: the largest webhooks alone, the others merged. */
  labelled(): Map<string, { deliveries: number; oldestHeadMs: number | undefined }> {
    const all = [...this.byPartition.values()].flat().sort((a, b) => b.deliveries - a.deliveries);
    const labelled = new Map<string, { deliveries: number; oldestHeadMs: number | undefined }>();
    for (const figures of all.slice(0, this.maxWebhooks)) labelled.set(figures.webhookId, { deliveries: figures.deliveries, oldestHeadMs: figures.oldestHeadMs });
    const rest = all.slice(this.maxWebhooks);
    if (rest.length > 0) {
      const oldest = rest.flatMap((f) => (f.oldestHeadMs === undefined ? [] : [f.oldestHeadMs]));
      labelled.set(OTHER_WEBHOOKS_LABEL, { deliveries: rest.reduce((sum, f) => sum + f.deliveries, 0), oldestHeadMs: oldest.length > 0 ? Math.min(...oldest) : undefined });
    }
    return labelled;
  }
}
