import { Command } from 'commander';
import type { DeliveriesQuery, EventInput, EventListQuery } from '@herald/sdk';
import { contextOf, parseJsonArgument } from '../context';
import { details, table } from '../output';

export function publishCommand(): Command {
  return new Command('publish')
    .description('publish an event')
    .argument('<type>', 'event type, e.g. order.created')
    .argument('[data]', 'event data as a JSON object', '{}')
    .option('--tenant <tenant>', 'tenant (admin token only)')
    .option('--id <key>', 'idempotency key: the same key within 24 h is accepted once')
    .action(async (type: string, data: string, options: { tenant?: string; id?: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const event = {
        type,
        data: parseJsonArgument(data, 'data') as EventInput['data'],
        ...(options.tenant ? { tenant: options.tenant } : {}),
        ...(options.id ? { id: options.id } : {}),
      };
      // Without --id the SDK sends an idempotency key of its own: a publish is never doubled by a retry.
      const result = await herald.events.publish(event);
      out.print(result, () => (result.duplicate ? `${result.id} (duplicate: already accepted)` : result.id));
    });
}

export function eventsCommand(): Command {
  const events = new Command('events').description('recent events (the newest 1,000 in the stream) and their deliveries');

  events
    .command('ls')
    .description('recent events, newest first')
    .option('--type <eventType>', 'only this event type')
    .option('--limit <n>', 'at most this many (1-1000)', '50')
    .action(async (options: { type?: string; limit: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const query: EventListQuery = { limit: Number(options.limit), ...(options.type ? { type: options.type } : {}) };
      const items = await herald.events.list(query);
      out.print(items, () =>
        table(
          items.map((e) => ({ ...e, received: new Date(e.receivedAt).toISOString() })),
          ['id', 'type', 'tenant', 'received', 'idempotencyKey'],
        ),
      );
    });

  events
    .command('show')
    .description('one event, with every attempt at delivering it')
    .argument('<id>', 'the event id (evt_...)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const detail = await herald.events.get(id);
      out.print(detail, () => {
        const { event, deliveries } = detail;
        const head = event
          ? details({ id: event.id, type: event.type, tenant: event.tenant, occurredAt: event.occurredAt, received: new Date(event.receivedAt).toISOString(), data: event.data })
          : details({ id: detail.id, event: 'no longer among the newest 1,000 in the stream' });
        const attempts = table(
          deliveries.map((a) => ({ ...a, status: a.statusCode ?? a.error, ms: Math.round(a.durationMs) })),
          ['timestamp', 'webhookId', 'attempt', 'outcome', 'status', 'ms'],
        );
        return `${head}\n\n${attempts}`;
      });
    });

  return events;
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
      const { herald, out } = contextOf(command);
      const query: DeliveriesQuery = {
        limit: Number(options.limit),
        ...(options.outcome ? { outcome: options.outcome as DeliveriesQuery['outcome'] } : {}),
        ...(options.type ? { eventType: options.type } : {}),
        ...(options.since ? { since: options.since } : {}),
      };
      const { items } = await herald.webhooks.deliveries(webhookId, query);
      out.print(items, () =>
        table(
          items.map((a) => ({ ...a, status: a.statusCode ?? a.error, ms: Math.round(a.durationMs) })),
          ['timestamp', 'outcome', 'attempt', 'status', 'ms', 'eventType', 'eventId'],
        ),
      );
    });
}

/** A rate of 0–1 as people read it: "97.5 %"; none yet: "-". */
function percent(rate: number | null | undefined): string | null {
  return rate === null || rate === undefined ? null : `${Math.round(rate * 1000) / 10} %`;
}

export function statsCommand(): Command {
  return new Command('stats')
    .description('overall statistics, or one webhook\'s')
    .argument('[webhookId]')
    .action(async (webhookId: string | undefined, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      if (webhookId) {
        const stats = await herald.webhooks.stats(webhookId);
        out.print(stats, () => details({ ...stats, deliveryRate: percent(stats.deliveryRate), successRate: percent(stats.successRate) }));
        return;
      }
      const stats = await herald.stats();
      out.print(stats, () =>
        details({
          'events/minute': stats.events.perMinute,
          'events last hour': stats.events.lastHour,
          attempts: stats.deliveries.attempts,
          succeeded: stats.deliveries.success,
          retried: stats.deliveries.retry,
          'dead-lettered': stats.deliveries.deadLetter,
          // Of the deliveries settled, those delivered; of the attempts, those that succeeded.
          delivered: percent(stats.deliveries.deliveryRate),
          'attempts succeeded': percent(stats.deliveries.successRate),
          // Herald's own alarms (circuit_breaker.*, …), apart from the producers' events above.
          'operational events last hour': stats.operational?.events.lastHour ?? 0,
          'operational deliveries': stats.operational?.deliveries.attempts ?? 0,
          'operational delivered': percent(stats.operational?.deliveries.deliveryRate),
          'operational attempts succeeded': percent(stats.operational?.deliveries.successRate),
          'queue waiting': stats.queue.waiting,
          'queue delayed': stats.queue.delayed,
          'queue active': stats.queue.active,
          'dead letters': stats.deadLetters,
          // Webhooks whose deliveries wait for their endpoint (`herald webhooks ls` shows which).
          'open circuits': stats.circuitsOpen,
          'stream pending': stats.stream.pending,
        }),
      );
    });
}
