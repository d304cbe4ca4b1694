import { Command } from 'commander';
import { contextOf, parseJsonArgument } from '../context';
import { details, table, type Row } from '../output';

export function publishCommand(): Command {
  return new Command('publish')
    .description('publish an event')
    .argument('<type>', 'event type, e.g. order.created')
    .argument('[data]', 'event data as a JSON object', '{}')
    .option('--tenant <tenant>', 'tenant (admin token only)')
    .option('--id <key>', 'idempotency key: the same key within 24 h is accepted once')
    .action(async (type: string, data: string, options: { tenant?: string; id?: string }, command: Command) => {
      const { api, out } = contextOf(command);
      const event = {
        type,
        data: parseJsonArgument(data, 'data'),
        ...(options.tenant ? { tenant: options.tenant } : {}),
        ...(options.id ? { id: options.id } : {}),
      };
      const result = await api.post<{ id: string; duplicate: boolean }>('/v1/events', event);
      out.print(result, () => (result.duplicate ? `${result.id} (duplicate: already accepted)` : result.id));
    });
}

interface AttemptRow extends Row {
  timestamp: string;
  outcome: string;
  attempt: number;
  statusCode?: number;
  durationMs: number;
  eventType: string;
  eventId: string;
  error?: string;
}

export function deliveriesCommand(): Command {
  return new Command('deliveries')
    .description("a webhook's delivery attempts, newest first")
    .argument('<webhookId>')
    .option('--outcome <outcome>', 'success, failure, retry or dead_letter')
    .option('--type <eventType>', 'only this event type')
    .option('--since <time>', 'ISO-8601 time or unix ms')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (webhookId: string, options: { outcome?: string; type?: string; since?: string; limit: string }, command: Command) => {
      const { api, out } = contextOf(command);
      const query = new URLSearchParams({ limit: options.limit });
      if (options.outcome) query.set('outcome', options.outcome);
      if (options.type) query.set('eventType', options.type);
      if (options.since) query.set('since', options.since);
      const page = await api.get<{ data: AttemptRow[] }>(`/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries?${query}`);
      out.print(page.data, () =>
        table(
          page.data.map((a) => ({ ...a, status: a.statusCode ?? a.error, ms: Math.round(a.durationMs) })),
          ['timestamp', 'outcome', 'attempt', 'status', 'ms', 'eventType', 'eventId'],
        ),
      );
    });
}

export function statsCommand(): Command {
  return new Command('stats')
    .description('overall statistics, or one webhook\'s')
    .argument('[webhookId]')
    .action(async (webhookId: string | undefined, _options: unknown, command: Command) => {
      const { api, out } = contextOf(command);
      if (webhookId) {
        const stats = await api.get<Row>(`/v1/webhooks/${encodeURIComponent(webhookId)}/stats`);
        out.print(stats, () => details(stats));
        return;
      }
      type Deliveries = { attempts: number; success: number; retry: number; deadLetter: number; successRate: number | null };
      const stats = await api.get<{
        events: { perMinute: number; lastHour: number };
        deliveries: Deliveries;
        operational?: { events: { lastHour: number }; deliveries: Deliveries };
        queue: Row;
        deadLetters: number;
        stream: { length: number; pending: number };
      }>('/v1/stats');
      out.print(stats, () =>
        details({
          'events/minute': stats.events.perMinute,
          'events last hour': stats.events.lastHour,
          attempts: stats.deliveries.attempts,
          succeeded: stats.deliveries.success,
          retried: stats.deliveries.retry,
          'dead-lettered': stats.deliveries.deadLetter,
          'success rate': stats.deliveries.successRate,
          // Herald's own alarms (circuit_breaker.*, …), apart from the producers' events above.
          'operational events last hour': stats.operational?.events.lastHour ?? 0,
          'operational deliveries': stats.operational?.deliveries.attempts ?? 0,
          'operational success rate': stats.operational?.deliveries.successRate ?? null,
          'queue waiting': stats.queue.waiting,
          'queue delayed': stats.queue.delayed,
          'queue active': stats.queue.active,
          'dead letters': stats.deadLetters,
          'stream pending': stats.stream.pending,
        }),
      );
    });
}
