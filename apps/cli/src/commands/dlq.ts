import { Command } from 'commander';
import type { DeadLetterFilter } from '@herald/sdk';
import { contextOf } from '../context';
import { details, table } from '../output';

interface FilterOptions {
  webhook?: string;
  type?: string;
  since?: string;
  before?: string;
}

function filterOf(options: FilterOptions): DeadLetterFilter {
  return { webhookId: options.webhook, type: options.type, since: options.since, before: options.before };
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
      const { herald, out } = contextOf(command);
      const { items } = await herald.deadLetters.list({ ...filterOf(options), limit: Number(options.limit) });
      out.print(items, () =>
        table(
          items.map((d) => ({ ...d, type: d.event.type })),
          ['id', 'type', 'attempts', 'lastError', 'deadLetteredAt'],
        ),
      );
    });

  dlq
    .command('show')
    .description('one dead letter with all its attempts')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const deadLetter = await herald.deadLetters.get(id);
      out.print(deadLetter, () => {
        const { attemptLog, event, ...rest } = deadLetter;
        return `${details({ ...rest, eventId: event.id, eventType: event.type })}\n\n${table(attemptLog, ['timestamp', 'attempt', 'outcome', 'statusCode', 'error'])}`;
      });
    });

  withFilters(dlq.command('replay').description('deliver again (same webhook-id): the given ids, or everything matching the filters'))
    .argument('[ids...]')
    .option('--limit <n>', 'at most this many when replaying by filter', '10000')
    .action(async (ids: string[], options: FilterOptions & { limit: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const result = await herald.deadLetters.replay(ids.length > 0 ? { ids } : { ...filterOf(options), limit: Number(options.limit) });
      out.print(result, () =>
        [`replayed ${result.replayed.length}`, ...result.skipped.map((s) => `skipped ${s.id}: ${s.reason}`)].join('\n'),
      );
      if (result.skipped.length > 0 && result.replayed.length === 0) process.exitCode = 1;
    });

  withFilters(dlq.command('purge').description('delete dead letters for good: the given ids, or everything matching the filters'))
    .argument('[ids...]')
    .option('--all-matching', 'required to purge by filter instead of by ids')
    .action(async (ids: string[], options: FilterOptions & { allMatching?: boolean }, command: Command) => {
      const { herald, out } = contextOf(command);
      let targets = ids;
      if (targets.length === 0) {
        if (!options.allMatching) {
          command.error('give dead letter ids, or filters with --all-matching', { exitCode: 2 });
        }
        targets = [];
        for await (const page of herald.deadLetters.pages({ ...filterOf(options), limit: 1000 })) targets.push(...page.items.map((d) => d.id));
      }
      for (const id of targets) await herald.deadLetters.purge(id);
      out.print({ purged: targets }, () => `purged ${targets.length}`);
    });

  return dlq;
}
