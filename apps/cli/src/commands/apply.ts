import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadConfigDocument } from '@herald/shared';
import { HeraldApiError, describeProblem, type ConfigDocument } from '@herald/sdk';
import { CliError, EXIT } from '../client';
import { contextOf } from '../context';

interface ApplyResult {
  dryRun: boolean;
  created: string[];
  updated: { name: string; tenant: string; fields: string[] }[];
  unchanged: string[];
  /** The signing secret of each webhook created: the only time Herald shows it. */
  secrets?: { name: string; tenant: string; id: string; secret: string }[];
}

/** What the API answers for a file whose content it refuses: the file is at fault, as for a local check. */
const BAD_FILE_STATUSES = new Set([400, 413]);

export function applyCommand(): Command {
  return new Command('apply')
    .description('apply a declarative config file (webhooks by name; ${env.NAME} from this environment)')
    .requiredOption('-f, --file <path>', 'YAML file')
    .option('--dry-run', 'only report what would change')
    .action(async (options: { file: string; dryRun?: boolean }, command: Command) => {
      const { herald, out } = contextOf(command);
      let document: unknown;
      try {
        document = loadConfigDocument(readFileSync(options.file, 'utf8'), process.env, options.file);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
        throw new CliError(`cannot read ${options.file}: ${(error as Error).message}`, EXIT.usage);
      }
      // The API checks the document (400 naming each field); the CLI sends it as the file has it.
      const result: ApplyResult = await herald.config.apply(document as ConfigDocument, { dryRun: Boolean(options.dryRun) }).catch((error: unknown) => {
        if (error instanceof HeraldApiError && BAD_FILE_STATUSES.has(error.status)) {
          throw new CliError(`${options.file} was not applied: ${describeProblem(error.problem, { fieldsOnLines: true })}`, EXIT.usage);
        }
        throw error;
      });
      const secrets = result.secrets ?? [];
      out.print(result, () => {
        const created = (name: string) => {
          const shown = secrets.filter((s) => s.name === name);
          return shown.length === 0
            ? [`created   ${name}`]
            : shown.map((s) => `created   ${name}  (tenant ${s.tenant}, ${s.id})  secret ${s.secret}`);
        };
        const lines = [
          ...result.created.flatMap(created),
          ...result.updated.map((u) => `updated   ${u.name} (${u.fields.join(', ')})`),
          ...result.unchanged.map((name) => `unchanged ${name}`),
        ];
        const changed = result.created.length + result.updated.length;
        const summary = changed === 0 ? 'no changes' : `${changed} change(s)${result.dryRun ? ' (dry run: nothing applied)' : ''}`;
        const note = secrets.length === 0 ? '' : '\nSigning secrets are shown only now: keep them (`herald webhooks rotate-secret <id>` makes a new one).';
        return `${lines.join('\n')}\n${summary}${note}`;
      });
    });
}
