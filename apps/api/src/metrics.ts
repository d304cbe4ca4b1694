import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The API's Prometheus registry: its own counters plus Node's process metrics. */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const eventsIngested = new Counter({
    name: 'herald_events_ingested_total',
    help: 'Events accepted for delivery, by how they arrived (api, batch).',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  return { registry, eventsIngested };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;
