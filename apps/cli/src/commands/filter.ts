import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Filter, FilterEnvelope } from '@herald/sdk';
import { CliError, EXIT } from '../client';
import { contextOf, parseJsonArgument } from '../context';
import { details } from '../output';

/** A JSON argument given inline, or as `@path` to a file holding it. */
export function jsonArgumentOrFile(text: string, what: string): unknown {
  if (!text.startsWith('@')) return parseJsonArgument(text, what);
  const path = text.slice(1);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} from ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  return parseJsonArgument(content, `${what} (${path})`);
}

export function filterCommand(): Command {
  const filter = new Command('filter').description('payload filters: try one before it goes live');

  filter
    .command('test')
    .description('whether an event passes a filter, and if not the first condition it fails; exits 1 when it does not pass')
    .argument('<filter>', 'the filter, as JSON or @file')
    .argument('<event>', 'the event as delivered ({ id, type, tenant, timestamp, data }), as JSON or @file')
    .action(async (filterText: string, eventText: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const result = await herald.filters.test(jsonArgumentOrFile(filterText, 'filter') as Filter, jsonArgumentOrFile(eventText, 'event') as FilterEnvelope);
      out.print(result, () => (result.matched ? 'matched' : `not matched: ${result.failed}`));
      if (!result.matched) process.exitCode = EXIT.failed;
    });

  filter
    .command('preview')
    .description("how many of a webhook's newest events its filter (or --filter) lets through")
    .argument('<webhook-id>')
    .option('--last <n>', 'the newest n events of its tenant and types (1-1000)', (v) => Number(v), 100)
    .option('--filter <filter>', "a filter to try instead of the webhook's own, as JSON or @file")
    .action(async (id: string, options: { last: number; filter?: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const preview = await herald.webhooks.previewFilter(id, {
        last: options.last,
        ...(options.filter === undefined ? {} : { filter: jsonArgumentOrFile(options.filter, '--filter') as Filter }),
      });
      out.print(preview, () =>
        [
          details({ events: preview.events, matched: preview.matched, refused: preview.refused }),
          ...preview.samples.refused.map(({ event, failed }) => `refused ${event.id} (${event.type}): ${failed}`),
        ].join('\n'),
      );
    });

  return filter;
}
