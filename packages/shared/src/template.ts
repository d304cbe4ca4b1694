// Payload templates: JSON text with {{placeholders}} whose values are inserted JSON-encoded, so a
// template can never produce invalid JSON from the data it is given, and no code ever runs.
import { mostSpecificPattern } from './patterns';
import type { StoredEvent } from './schemas/event';

/** Built-in templates for services with a fixed body format. */
export const TEMPLATE_PRESETS = {
  /** Slack incoming webhooks: `{ "text": … }`. */
  slack: '{"text": "*{{event}}* ({{id}}) for tenant {{tenant}} at {{timestamp}}\\n```{{data}}```"}',
  /** Discord webhooks: `{ "content": … }` (at most 2,000 characters, so the data is left out). */
  discord: '{"content": "**{{event}}** ({{id}}) for tenant {{tenant}} at {{timestamp}}"}',
  /** PagerDuty Events API v2 (`/v2/enqueue`): needs `templateVars.routingKey`. */
  pagerduty:
    '{"routing_key": {{vars.routingKey}}, "event_action": "trigger", "dedup_key": {{id}}, "payload": {"summary": "{{event}} ({{tenant}})", "source": "herald", "severity": {{vars.severity}}, "timestamp": {{timestamp}}, "custom_details": {{data}}}}',
} as const;
export type TemplatePreset = keyof typeof TEMPLATE_PRESETS;

export function isTemplatePreset(name: string): name is TemplatePreset {
  return Object.hasOwn(TEMPLATE_PRESETS, name);
}

/** Template variables a preset needs, with defaults for the optional ones. */
export const PRESET_VARS: Record<TemplatePreset, { required: string[]; defaults: Record<string, string> }> = {
  slack: { required: [], defaults: {} },
  discord: { required: [], defaults: {} },
  pagerduty: { required: ['routingKey'], defaults: { severity: 'error' } },
};

export interface TemplateInput {
  event: StoredEvent;
  vars?: Record<string, string>;
}

export type RenderResult = { ok: true; body: string } | { ok: false; reason: string };

const PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/;
const ROOTS = ['id', 'event', 'type', 'timestamp', 'occurredAt', 'tenant', 'data', 'payload', 'vars'] as const;

/** The default envelope: `{ id, type, timestamp, tenant, data }`. */
export function defaultEnvelope(event: StoredEvent, includeData = true): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.occurredAt,
    tenant: event.tenant,
    ...(includeData ? { data: event.data } : {}),
  };
}

function resolve(path: string, input: TemplateInput): { found: true; value: unknown } | { found: false; reason: string } {
  const [root, ...rest] = path.split('.');
  const roots: Record<(typeof ROOTS)[number], unknown> = {
    id: input.event.id,
    event: input.event.type,
    type: input.event.type,
    timestamp: input.event.occurredAt,
    occurredAt: input.event.occurredAt,
    tenant: input.event.tenant,
    data: input.event.data,
    payload: defaultEnvelope(input.event),
    vars: input.vars ?? {},
  };
  if (!(ROOTS as readonly string[]).includes(root as string)) {
    return { found: false, reason: `unknown placeholder {{${path}}} (known: ${ROOTS.join(', ')})` };
  }
  let value: unknown = roots[root as (typeof ROOTS)[number]];
  for (const key of rest) {
    value = value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return { found: true, value };
}

/**
 * Renders a template. Inside a JSON string a value goes in as escaped text (objects as their JSON);
 * elsewhere as a JSON value (missing values as null). The result must parse as JSON.
 */
export function renderTemplate(template: string, input: TemplateInput): RenderResult {
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < template.length; ) {
    const char = template[i] as string;
    // After a backslash inside a string, "{" is an (invalid) escape, never a placeholder.
    if (char === '{' && template[i + 1] === '{' && !(inString && escaped)) {
      const match = PLACEHOLDER.exec(template.slice(i));
      if (!match) return { ok: false, reason: `malformed placeholder at offset ${i}` };
      const resolved = resolve(match[1] as string, input);
      if (!resolved.found) return { ok: false, reason: resolved.reason };
      const json = JSON.stringify(resolved.value ?? null);
      out += inString ? JSON.stringify(typeof resolved.value === 'string' ? resolved.value : json).slice(1, -1) : json;
      i += match[0].length;
      escaped = false;
      continue;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    }
    out += char;
    i += 1;
  }
  try {
    JSON.parse(out);
  } catch (error) {
    return { ok: false, reason: `template does not produce valid JSON: ${(error as Error).message}` };
  }
  return { ok: true, body: out };
}

/**
 * The template for an event type, as configured (a preset name or a template text): the most
 * specific matching entry of `byType` (exact, then the longest `prefix.*`, then `*`), else `template`.
 */
export function templateFor(
  type: string,
  template: string | undefined,
  byType: Record<string, string> | undefined,
): string | undefined {
  const pattern = byType ? mostSpecificPattern(Object.keys(byType), type) : undefined;
  return pattern !== undefined ? byType?.[pattern] : template;
}

/** A configured template as text to render, with the variables its preset defaults. */
export function expandTemplate(configured: string): { text: string; defaultVars: Record<string, string> } {
  return isTemplatePreset(configured)
    ? { text: TEMPLATE_PRESETS[configured], defaultVars: PRESET_VARS[configured].defaults }
    : { text: configured, defaultVars: {} };
}
