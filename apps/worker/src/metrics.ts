import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's Prometheus registry. Labels are bounded: outcome, source, reason and tenant, never ids. */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsIngested: new Counter({
      name: 'herald_events_ingested_total',
      help: 'Events accepted for delivery, by how they arrived (stream: written straight to Redis).',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'herald_deliveries_total',
      help: 'Delivery attempts by outcome: success, retry (will be tried again), dead_letter.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryDuration: new Histogram({
      name: 'herald_delivery_duration_seconds',
      help: 'Duration of one HTTP delivery attempt.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    eventToDelivery: new Histogram({
      name: 'herald_event_to_delivery_seconds',
      help: 'Time from an event being accepted to its successful delivery.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    deferred: new Counter({
      name: 'herald_deliveries_deferred_total',
      help: 'Deliveries put in the queue instead of going at once, no attempt spent: reason cap (the webhook had its in-flight cap), busy (the worker was full), circuit (open circuit), rate (no rate-limit token), claim (an entry claimed from a worker that died) or egress (the egress proxy failed).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    eventsFiltered: new Counter({
      name: 'herald_events_filtered_total',
      help: "Deliveries not made because the webhook's payload filter refused the event: one per event and webhook, by the event's tenant.",
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    invalidEntries: new Counter({
      name: 'herald_invalid_events_total',
      help: 'Stream entries that could not be read as events and went to the invalid stream.',
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
