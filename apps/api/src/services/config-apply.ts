// Applies declarative configuration: webhooks matched by (tenant, name); creates what is missing,
// updates what differs (fields left out return to their defaults), never duplicates, never deletes.
import { refusedWebhookTargets, type ConfigFile, type TargetPolicy, type Webhook, type WebhookStore } from '@herald/shared';
import type { ConfigApplyResult } from '../schemas/responses';

/** What applying did; `secrets`: the signing secret of each webhook created (none on a dry run), shown once, never logged. */
export type ApplyResult = Omit<ConfigApplyResult, 'dryRun'>;

export class ConfigApplyError extends Error {
  constructor(readonly problems: { field: string; message: string }[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

/** Fields a config entry owns: everything but identity, secrets and timestamps. */
const MANAGED_FIELDS = [
  'url', 'description', 'events', 'enabled', 'method', 'headers', 'auth', 'retry', 'timeoutMs', 'rateLimit',
  'circuitBreaker', 'template', 'eventTemplates', 'filter', 'eventFilters', 'templateVars', 'includePayload', 'maxPayloadBytes', 'maxInFlight', 'maxBacklog',
  'ordering',
] as const;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

export async function applyConfig(store: WebhookStore, config: ConfigFile, policy: TargetPolicy, dryRun = false): Promise<ApplyResult> {
  const problems: { field: string; message: string }[] = [];
  for (const [index, webhook] of config.webhooks.entries()) {
    for (const { field, message } of await refusedWebhookTargets(webhook, policy)) problems.push({ field: `webhooks.${index}.${field}`, message });
  }
  if (problems.length > 0) throw new ConfigApplyError(problems);

  const existing = new Map<string, Webhook>();
  for (const webhook of await store.list()) if (webhook.name) existing.set(`${webhook.tenant}/${webhook.name}`, webhook);
  const result: ApplyResult = { created: [], updated: [], unchanged: [], secrets: [] };
  for (const desired of config.webhooks) {
    const current = existing.get(`${desired.tenant}/${desired.name}`);
    if (!current) {
      if (!dryRun) {
        const created = await store.create(desired);
        result.secrets.push({ name: desired.name, tenant: created.tenant, id: created.id, secret: created.secret });
      }
      result.created.push(desired.name);
      continue;
    }
    const patch: Record<string, unknown> = {};
    for (const field of MANAGED_FIELDS) {
      const want = (desired as Record<string, unknown>)[field];
      const have = (current as Record<string, unknown>)[field];
      if (canonical(want ?? null) !== canonical(have ?? null)) patch[field] = want ?? null;
    }
    const fields = Object.keys(patch);
    if (fields.length === 0) {
      result.unchanged.push(desired.name);
      continue;
    }
    if (!dryRun) await store.update(current.id, patch);
    result.updated.push({ name: desired.name, tenant: desired.tenant, fields });
  }
  return result;
}
