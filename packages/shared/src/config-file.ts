// Declarative configuration (HERALD_CONFIG, `herald apply -f`): a YAML file of webhooks matched by
// name, with ${env.NAME} references resolved from the environment.
import { Parser as YamlParser, parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors/config-error';
import { checkPresetVars, webhookCreateObject, webhookNameSchema } from './schemas/webhook';
import { MAX_JSON_DEPTH, jsonDepth, plainMessages, protoKeyIssues } from './schemas/common';

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

/** What is said of a document nested deeper than a configuration ever needs. */
export const TOO_DEEP_PROBLEM = `nests deeper than ${MAX_JSON_DEPTH} levels`;

/**
 * Refuses a document nested deeper than MAX_JSON_DEPTH (a configuration needs five or six levels)
 * before anything walks it: the walks that follow (${env.NAME} references, validation) would
 * otherwise overflow the stack on one nested 100,000 deep.
 */
export function refuseDeepDocument(document: unknown, source = 'config'): void {
  if (jsonDepth(document) > MAX_JSON_DEPTH) throw new ConfigError([{ variable: source, problem: TOO_DEEP_PROBLEM }]);
}

/** YAML's collections, in its syntax tree. */
const YAML_COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * How deep a YAML text's collections nest, at least `limit + 1` when deeper than `limit`: read from
 * its syntax tree (which the yaml library builds without recursion) by a walk without recursion.
 */
function yamlNestingDepth(text: string, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [...new YamlParser().parse(text)].map((token) => [token, 0]);
  while (stack.length > 0) {
    const [node, outer] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    const depth = YAML_COLLECTIONS.has((node as { type?: unknown }).type as string) ? outer + 1 : outer;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth]);
  }
  return deepest;
}

/**
 * A YAML document (a config file, or a request body) as plain data; an empty one is `{}`. The
 * nesting is checked before the document is built: the library builds collections by recursion,
 * and one nested some thousand deep overflows the stack (V8 may even abort the process then).
 */
export function parseConfigYaml(text: string, source = 'config'): unknown {
  if (yamlNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new ConfigError([{ variable: source, problem: TOO_DEEP_PROBLEM }]);
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError([{ variable: source, problem: `is not valid YAML: ${(error as Error).message}` }]);
  }
  // Aliases can repeat a collection inside another: the document built may nest deeper than its text.
  refuseDeepDocument(document, source);
  return document;
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
