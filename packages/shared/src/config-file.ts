// Declarative configuration (HERALD_CONFIG, `herald apply -f`): a YAML file of webhooks matched by
// name, with ${env.NAME} references resolved from the environment.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors/config-error';
import { checkPresetVars, webhookCreateObject, webhookNameSchema } from './schemas/webhook';
import { plainMessages, protoKeyIssues } from './schemas/common';

export const configWebhookSchema = webhookCreateObject.extend({ name: webhookNameSchema }).superRefine(checkPresetVars);

/** Webhooks are matched by (tenant, name): a name twice in one file would be two webhooks, or a silent overwrite. */
function checkNamesUnique(webhooks: readonly { name: string; tenant: string }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  webhooks.forEach((webhook, index) => {
    const key = `${webhook.tenant}/${webhook.name}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    else ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${webhook.name}" appears twice for tenant ${webhook.tenant} (also webhooks.${earlier})` });
  });
}

export const configFileSchema = z.strictObject({
  webhooks: z.array(configWebhookSchema).superRefine(checkNamesUnique),
});
export type ConfigFile = z.output<typeof configFileSchema>;

const ENV_REFERENCE = /\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces every ${env.NAME} in string values; each missing variable is a problem naming it and where. */
export function resolveEnvReferences(value: unknown, env: NodeJS.ProcessEnv, path = '', problems: ConfigProblem[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_, name: string) => {
      const resolved = env[name];
      if (resolved === undefined) {
        problems.push({ variable: path || '(root)', problem: `refers to \${env.${name}}, but the environment variable ${name} is not set` });
        return '';
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => resolveEnvReferences(item, env, `${path}[${index}]`, problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveEnvReferences(item, env, path ? `${path}.${key}` : key, problems)]),
    );
  }
  return value;
}

/** Dotted paths (`webhooks.0.auth.token`) of the strings that still hold ${env.NAME} references. */
export function envReferencePaths(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return new RegExp(ENV_REFERENCE.source).test(value) ? [path || '(root)'] : [];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => envReferencePaths(item, path ? `${path}.${key}` : key));
  }
  return [];
}

/** A YAML document (a config file, or a request body) as plain data; an empty one is `{}`. */
export function parseConfigYaml(text: string, source = 'config'): unknown {
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError([{ variable: source, problem: `is not valid YAML: ${(error as Error).message}` }]);
  }
}

/** The raw document with ${env.NAME} resolved: what `herald apply` sends to the API. */
export function loadConfigDocument(text: string, env: NodeJS.ProcessEnv, source = 'config'): unknown {
  const document = parseConfigYaml(text, source);
  const problems: ConfigProblem[] = [];
  const resolved = resolveEnvReferences(document, env, '', problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

/** Reads, resolves and validates a config file's text; throws a ConfigError naming every problem. */
export function parseConfigFile(text: string, env: NodeJS.ProcessEnv, source = 'config'): ConfigFile {
  const resolved = loadConfigDocument(text, env, source);
  const result = configFileSchema.safeParse(resolved, { error: plainMessages });
  // zod skips a "__proto__" key, so it is looked for in the document itself.
  const issues = [...protoKeyIssues(resolved), ...(result.success ? [] : result.error.issues)];
  if (issues.length > 0) {
    throw new ConfigError(issues.map((issue) => ({ variable: `${source}: ${issue.path.map(String).join('.') || '(root)'}`, problem: issue.message })));
  }
  return result.data as ConfigFile;
}
