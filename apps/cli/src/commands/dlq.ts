import { Command } from 'commander';
import { contextOf } from '../context';
import { details, table, type Row } from '../output';

interface DeadLetterRow extends Row {
  id: string;
  webhookId: string;
  event: { id: string; type: string };
  attempts: number;
  lastError: string;
  deadLetteredAt: string;
}

interface FilterOptions {
  webhook?: string;
  type?: string;
  since?: string;
  before?: string;
}

function filterQuery(options: FilterOptions): URLSearchParams {
  const query = new URLSearchParams();
  if (options.webhook) query.set('webhookId', options.webhook);
  if (options.type) query.set('type', options.type);
  if (options.since) query.set('since', options.since);
  if (options.before) query.set('before', options.before);
  return query;
}

function withFilters(command: Command): Command {
  return command
    .option('--webhook <id>', 'only this webhook')
    .option('--type <eventType>', 'only this event type')
    .option('--since <time>', 'dead-lettered at or after (ISO-8601 or unix ms)')
    .option('--before <time>', 'dead-lettered before (ISO-8601 or unix ms)');
}

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('dead letters: deliveries that failed for good');

  withFilters(dlq.command('ls').description('list dead letters, newest first'))
    .option('--limit <n>', 'at most this many', '50')
    .action(async (options: FilterOptions & { limit: string }, command: Command) => {
      const { api, out } = contextOf(command);
      const query = filterQuery(options);
      query.set('limit', options.limit);
      const { data } = await api.get<{ data: DeadLetterRow[] }>(`/v1/dead-letters?${query}`);
      out.print(data, () =>
        table(
          data.map((d) => ({ ...d, type: d.event.type })),
          ['id', 'type', 'attempts', 'lastError', 'deadLetteredAt'],
        ),
      );
    });

  dlq
    .command('show')
    .description('one dead letter with all its attempts')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = contextOf(command);
      const deadLetter = await api.get<DeadLetterRow & { attemptLog: Row[] }>(`/v1/dead-letters/${encodeURIComponent(id)}`);
      out.print(deadLetter, () => {
        const { attemptLog, event, ...rest } = deadLetter;
        return `${details({ ...rest, eventId: event.id, eventType: event.type })}\n\n${table(attemptLog, ['timestamp', 'attempt', 'outcome', 'statusCode', 'error'])}`;
      });
    });

  withFilters(dlq.command('replay').description('deliver again (same webhook-id): the given ids, or everything matching the filters'))
    .argument('[ids...]')
    .option('--limit <n>', 'at most this many when replaying by filter', '10000')
    .action(async (ids: string[], options: FilterOptions & { limit: string }, command: Command) => {
      const { api, out } = contextOf(command);
      const body =
        ids.length > 0
          ? { ids }
          : {
              ...(options.webhook ? { webhookId: options.webhook } : {}),
              ...(options.type ? { type: options.type } : {}),
              ...(options.since ? { since: options.since } : {}),
              ...(options.before ? { before: options.before } : {}),
              limit: Number(options.limit),
            };
      const result = await api.post<{ replayed: string[]; skipped: { id: string; reason: string }[] }>('/v1/dead-letters/replay', body);
      out.print(result, () =>
        [`replayed ${result.replayed.length}`, ...result.skipped.map((s) => `skipped ${s.id}: ${s.reason}`)].join('\n'),
      );
      if (result.skipped.length > 0 && result.replayed.length === 0) process.exitCode = 1;
    });

  withFilters(dlq.command('purge').description('delete dead letters for good: the given ids, or everything matching the filters'))
    .argument('[ids...]')
    .option('--all-matching', 'required to purge by filter instead of by ids')
    .action(async (ids: string[], options: FilterOptions & { allMatching?: boolean }, command: Command) => {
      const { api, out } = contextOf(command);
      let targets = ids;
      if (targets.length === 0) {
        if (!options.allMatching) {
          command.error('give dead letter ids, or filters with --all-matching', { exitCode: 2 });
        }
        const query = filterQuery(options);
        query.set('limit', '1000');
        targets = [];
        let cursor: string | null = null;
        do {
          if (cursor) query.set('cursor', cursor);
          const page: { data: DeadLetterRow[]; next: string | null } = await api.get(`/v1/dead-letters?${query}`);
          targets.push(...page.data.map((d) => d.id));
          cursor = page.next;
        } while (cursor);
      }
      for (const id of targets) await api.delete(`/v1/dead-letters/${encodeURIComponent(id)}`);
      out.print({ purged: targets }, () => `purged ${targets.length}`);
    });

  return dlq;
}
