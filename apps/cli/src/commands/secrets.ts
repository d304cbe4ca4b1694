import { Command } from 'commander';
import { EXIT } from '../client';
import { contextOf } from '../context';

export function secretsCommand(): Command {
  const secrets = new Command('secrets').description('secrets Herald stores (admin token)');
  secrets
    .command('reencrypt')
    .description('rewrite every stored secret under the API\'s HERALD_ENCRYPTION_KEY (after setting or rotating it)')
    .action(async (_options: unknown, command: Command) => {
      const { herald, out } = contextOf(command);
      const result = await herald.secrets.reencrypt();
      out.print(result, () => {
        const lines = [`${result.rewritten} webhook(s) rewritten under the current key`, `${result.cachedTokensDropped} cached OAuth2 token(s) dropped`];
        if (result.unreadable.length > 0) {
          lines.push(`${result.unreadable.length} webhook(s) could not be opened with HERALD_ENCRYPTION_KEY or HERALD_ENCRYPTION_KEY_PREVIOUS: ${result.unreadable.join(', ')}`);
        }
        return lines.join('\n');
      });
      if (result.unreadable.length > 0) process.exitCode = EXIT.failed;
    });
  return secrets;
}
