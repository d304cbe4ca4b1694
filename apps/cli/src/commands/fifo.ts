// `herald fifo`: the lines of a webhook with ordered delivery, and skipping a blocked line's head.
import { Command } from 'commander';
import type { FifoStatus } from '@herald/sdk';
import { contextOf } from '../context';
import { details, table } from '../output';

/** "fifo by data.orderId, block when a head spends its attempts"; "none" without ordering. */
export function describeOrdering(ordering: FifoStatus['ordering']): string {
  if (!ordering) return 'none';
  const by = ordering.key ? ` by ${ordering.key}` : ' (one line)';
  return `fifo${by}, ${ordering.onExhausted ?? 'skip'} when a head spends its attempts`;
}

/** A line's key as a person reads it: the webhook without an ordering key has one line, keyed ''. */
const lineName = (key: string) => (key === '' ? '-' : key);

export function fifoCommand(): Command {
  const fifo = new Command('fifo').description('ordered delivery: the lines of a webhook with ordering');

  fifo
    .command('show')
    .description('deliveries waiting, lines, and each blocked line with its head event, dead letter, since and error')
    .argument('<webhookId>')
    .action(async (webhookId: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const status = await herald.webhooks.fifo(webhookId);
      out.print(status, () => {
        const summary = details({
          ordering: describeOrdering(status.ordering),
          'deliveries waiting': status.deliveries,
          lines: status.lines,
          'heads out': status.inFlight,
          'oldest head': status.oldestHeadAt,
          blocked: status.blocked,
        });
        if (status.blockedLines.length === 0) return summary;
        const rows = status.blockedLines.map((line) => ({ ...line, key: lineName(line.key), event: line.eventId, 'dead letter': line.deadLetterId }));
        const hint = `Skip a head: herald fifo skip ${webhookId}${status.ordering?.key ? ' --key <key>' : ''}; retry it in place: herald dlq replay <dead letter>.`;
        return `${summary}\n\n${table(rows, ['key', 'event', 'dead letter', 'since', 'error'])}\n\n${hint}`;
      });
    });

  fifo
    .command('skip')
    .description("move a blocked line on without its head (its dead letter stays; replaying it puts it at the line's tail)")
    .argument('<webhookId>')
    .option('--key <key>', "the blocked line's ordering key value (required when the webhook orders by a key)")
    .action(async (webhookId: string, options: { key?: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const skipped = await herald.webhooks.skipFifoHead(webhookId, options.key === undefined ? {} : { key: options.key });
      out.print(skipped, () => `skipped ${skipped.skippedEventId} on line ${lineName(skipped.key)}; its dead letter ${skipped.deadLetterId} stays`);
    });

  return fifo;
}
