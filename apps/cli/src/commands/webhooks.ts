import { Command } from 'commander';
import type { Webhook, WebhookCreate } from '@herald/sdk';
import { contextOf, collectPairs, parseJsonArgument } from '../context';
import { details, table } from '../output';

const COLUMNS = ['id', 'name', 'tenant', 'enabled', 'circuit', 'events', 'url'];

/** A webhook's circuit in words: "closed", "open since …, next probe at …", "half-open (probe out) since …". */
export function describeCircuit(circuit: Webhook['circuit']): string {
  if (circuit.state === 'open') return `open since ${circuit.openedAt}, next probe at ${circuit.nextProbeAt}`;
  if (circuit.state === 'half_open') return `half-open (a probe is out), opened ${circuit.openedAt}`;
  return 'closed';
}

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description('manage webhook endpoints');

  webhooks
    .command('ls')
    .description('list webhooks (secrets are never listed)')
    .option('--tenant <tenant>', 'only this tenant')
    .action(async (options: { tenant?: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const data = await herald.webhooks.list(options.tenant ? { tenant: options.tenant } : {});
      out.print(data, () => table(data.map((webhook) => ({ ...webhook, circuit: webhook.circuit.state.replace('_', '-') })), COLUMNS));
    });

  webhooks
    .command('add')
    .description('create a webhook; prints its signing secret, shown only this once')
    .argument('<url>', 'where deliveries are sent (http or https)')
    .option('-e, --events <patterns>', 'comma-separated event types or patterns (a.b, a.*, *)', '*')
    .option('--name <name>', 'stable name, unique in the tenant')
    .option('--tenant <tenant>', 'tenant (admin token only)')
    .option('--description <text>', 'free text')
    .option('--max-retries <n>', 'retries after the first attempt (0-10)', (v) => Number(v))
    .option('--header <name=value>', 'custom header (repeatable)', collectPairs)
    .option('--template <template>', 'body template or preset (slack, discord, pagerduty)')
    .option('--disabled', 'create it disabled')
    .option('--set <json>', 'any other webhook fields, as a JSON object')
    .action(async (url: string, options: Record<string, unknown>, command: Command) => {
      const { herald, out } = contextOf(command);
      const body: Record<string, unknown> = {
        ...(options.set ? (parseJsonArgument(String(options.set), '--set') as object) : {}),
        url,
        events: String(options.events).split(',').map((s) => s.trim()).filter(Boolean),
      };
      if (options.name) body.name = options.name;
      if (options.tenant) body.tenant = options.tenant;
      if (options.description) body.description = options.description;
      if (options.maxRetries !== undefined) body.retry = { ...(body.retry as object), maxRetries: options.maxRetries };
      if (options.header) body.headers = options.header;
      if (options.template) body.template = options.template;
      if (options.disabled) body.enabled = false;
      // The API checks every field (400 naming it): the CLI passes --set through as given.
      const created = await herald.webhooks.create(body as unknown as WebhookCreate);
      out.print(created, () => `${details({ id: created.id, name: created.name, url: created.url, events: created.events, secret: created.secret })}\n\nKeep the secret now: Herald never shows it again.`);
    });

  webhooks
    .command('show')
    .description('show one webhook')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const webhook = await herald.webhooks.get(id);
      out.print(webhook, () => details({ ...webhook, circuit: describeCircuit(webhook.circuit) }));
    });

  webhooks
    .command('rm')
    .description('delete a webhook (its queued deliveries stop)')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      await herald.webhooks.delete(id);
      out.print({ id, deleted: true }, () => `deleted ${id}`);
    });

  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    webhooks
      .command(name)
      .description(`${name} a webhook`)
      .argument('<id>')
      .action(async (id: string, _options: unknown, command: Command) => {
        const { herald, out } = contextOf(command);
        const webhook = await herald.webhooks.update(id, { enabled });
        out.print(webhook, () => `${id} ${enabled ? 'enabled' : 'disabled'}`);
      });
  }

  webhooks
    .command('test')
    .description('send a herald.test event to this webhook only and show the result')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const result = await herald.webhooks.test(id);
      out.print(result, () => details({ status: result.status, eventId: result.eventId, ...('attempt' in result ? result.attempt : {}) }));
      if (result.status !== 'delivered') process.exitCode = 1;
    });

  webhooks
    .command('rotate-secret')
    .description('give the webhook a new secret; the old one still signs for the grace period')
    .argument('<id>')
    .option('--grace <duration>', 'how long the old secret keeps signing (e.g. 24h, 30m, 0)', '24h')
    .action(async (id: string, options: { grace: string }, command: Command) => {
      const { herald, out } = contextOf(command);
      const graceMs = /^\d+$/.test(options.grace) ? Number(options.grace) : options.grace;
      const rotated = await herald.webhooks.rotateSecret(id, { graceMs });
      out.print(rotated, () => details({ id: rotated.id, secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt }));
    });

  return webhooks;
}
