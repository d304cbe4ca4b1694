// `herald`: the operators' command line. Talks to the API at HERALD_API_URL with HERALD_TOKEN.
import { Command, CommanderError } from 'commander';
import { CliError, EXIT, toCliError } from './client';
import { apiUrlOf } from './context';
import { webhooksCommand } from './commands/webhooks';
import { deliveriesCommand, eventsCommand, publishCommand, statsCommand } from './commands/events';
import { dlqCommand } from './commands/dlq';
import { fifoCommand } from './commands/fifo';
import { applyCommand } from './commands/apply';
import { filterCommand } from './commands/filter';
import { secretsCommand } from './commands/secrets';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('herald')
    .description('Operate Herald webhook delivery. Environment: HERALD_API_URL (default http://127.0.0.1:8080), HERALD_TOKEN.')
    .version(version)
    .option('--json', 'machine-readable JSON output')
    .option('--api-url <url>', 'API base URL (overrides HERALD_API_URL)')
    .option('--token <token>', 'API token (overrides HERALD_TOKEN)')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [webhooksCommand(), publishCommand(), eventsCommand(), deliveriesCommand(), dlqCommand(), fifoCommand(), statsCommand(), applyCommand(), filterCommand(), secretsCommand()]) {
    program.addCommand(command);
  }
  // Every subcommand inherits the exit override, so usage errors end with code 2, not a stack trace.
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (caught) {
    const error = toCliError(caught, apiUrlOf(program.opts<{ apiUrl?: string }>())) ?? caught;
    if (error instanceof CommanderError) {
      // --help and --version "fail" with code 0.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`herald: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`herald: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT.failed;
  }
}

if (require.main === module) void main(process.argv);
