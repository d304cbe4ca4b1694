import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadConfigDocument } from '@herald/shared';
import { CliError, EXIT } from '../client';
import { contextOf } from '../context';

interface ApplyResult {
  dryRun: boolean;
  created: string[];
  updated: { name: string; tenant: string; fields: string[] }[];
  unchanged: string[];
}

export function applyCommand(): Command {
  return new Command('apply')
    .description('apply a declarative config file (webhooks by name; ${env.NAME} from this environment)')
    .requiredOption('-f, --file <path>', 'YAML file')
    .option('--dry-run', 'only report what would change')
    .action(async (options: { file: string; dryRun?: boolean }, command: Command) => {
      const { api, out } = contextOf(command);
      let document: unknown;
      try {
        document = loadConfigDocument(readFileSync(options.file, 'utf8'), process.env, options.file);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
        throw new CliError(`cannot read ${options.file}: ${(error as Error).message}`, EXIT.usage);
      }
      const result = await api.post<ApplyResult>(`/v1/config/apply${options.dryRun ? '?dryRun=true' : ''}`, document);
      out.print(result, () => {
        const lines = [
          ...result.created.map((name) => `created   ${name}`),
          ...result.updated.map((u) => `updated   ${u.name} (${u.fields.join(', ')})`),
          ...result.unchanged.map((name) => `unchanged ${name}`),
        ];
        const changed = result.created.length + result.updated.length;
        return `${lines.join('\n')}\n${changed === 0 ? 'no changes' : `${changed} change(s)${result.dryRun ? ' (dry run: nothing applied)' : ''}`}`;
      });
    });
}
