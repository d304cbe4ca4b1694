import { Registry } from 'prom-client';
import { FifoGauges, OTHER_WEBHOOKS_LABEL } from './fifo-gauges';

const figures = (webhookId: string, deliveries: number, oldestHeadMs?: number) => ({ webhookId, deliveries, lines: 1, oldestHeadMs, blocked: 0 });

it('gives the webhooks with the most waiting a label each, and the rest one between them', async () => {
  const registry = new Registry();
  const gauges = new FifoGauges(registry, 2, () => 100_000);
  gauges.set(0, [figures('wh_a', 5, 90_000), figures('wh_b', 50, 99_000)]);
  gauges.set(1, [figures('wh_c', 7, 40_000), figures('wh_d', 1), figures('wh_e', 3, 70_000)]);
  const read = async (name: string) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name) as { values: { labels: { webhook: string }; value: number }[] };
    return Object.fromEntries(metric.values.map((v) => [v.labels.webhook, v.value]));
  };
  expect(await read('herald_fifo_backlog')).toEqual({ wh_b: 50, wh_c: 7, [OTHER_WEBHOOKS_LABEL]: 9 });
  expect(await read('herald_fifo_head_age_seconds')).toEqual({ wh_b: 1, wh_c: 60, [OTHER_WEBHOOKS_LABEL]: 30 });
  // A partition let go takes its webhooks with it.
  gauges.forget(1);
  expect(await read('herald_fifo_backlog')).toEqual({ wh_b: 50, wh_a: 5 });
});
