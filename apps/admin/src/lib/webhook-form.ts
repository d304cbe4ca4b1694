// The create/edit form's values, and turning them into what the API takes: a whole webhook to
// create, or a patch of only what changed. Pure, so it is tested without a browser.
import type { FieldError, Webhook, WebhookCreate, WebhookUpdate } from '@herald/sdk/browser';

export type AuthType = 'none' | 'bearer' | 'api_key' | 'hmac' | 'oauth2';
export type TemplateKind = 'none' | 'slack' | 'discord' | 'pagerduty' | 'custom';
export const PRESETS = ['slack', 'discord', 'pagerduty'] as const;
/** How the API shows a stored header value: the value itself is never sent back. */
export const MASK = '********';

export interface FormValues {
  name: string;
  url: string;
  description: string;
  events: string;
  maxRetries: string;
  initialDelayMs: string;
  backoffMultiplier: string;
  enabled: boolean;
  tenant: string;
  method: 'POST' | 'PUT';
  authType: AuthType;
  authToken: string;
  apiKey: string;
  apiKeyHeader: string;
  hmacSecret: string;
  hmacAlgorithm: 'sha256' | 'sha512';
  hmacHeader: string;
  oauthTokenUrl: string;
  oauthClientId: string;
  oauthClientSecret: string;
  oauthAuthMethod: 'basic' | 'post';
  oauthScope: string;
  oauthAudience: string;
  tlsClientCert: string;
  tlsClientKey: string;
  tlsPassphrase: string;
  headers: string;
  templateKind: TemplateKind;
  template: string;
  rateLimitPerSecond: string;
  rateLimitBurst: string;
  circuitBreakerEnabled: boolean;
  failureThreshold: string;
  cooldownMs: string;
  timeoutMs: string;
  maxInFlight: string;
  /** The payload filter as JSON text; empty: none. */
  filter: string;
  /** Ordered delivery: off, or FIFO per value of `orderingKey` (one line when empty). */
  orderingMode: 'off' | 'fifo';
  orderingKey: string;
  orderingOnExhausted: 'skip' | 'block';
}

export type FieldName = keyof FormValues;
/** Messages by form field; `form` holds those that belong to no field. */
export type FormErrors = Partial<Record<FieldName, string>> & { form?: string[] };

const OAUTH_FIELDS = ['oauthTokenUrl', 'oauthClientId', 'oauthClientSecret', 'oauthAuthMethod', 'oauthScope', 'oauthAudience'] as const;
const TLS_FIELDS = ['tlsClientCert', 'tlsClientKey', 'tlsPassphrase'] as const;

export const ADVANCED_FIELDS: readonly FieldName[] = [
  'method', 'authType', 'authToken', 'apiKey', 'apiKeyHeader', 'hmacSecret', 'hmacAlgorithm', 'hmacHeader', ...OAUTH_FIELDS, ...TLS_FIELDS, 'headers',
  'templateKind', 'template', 'rateLimitPerSecond', 'rateLimitBurst', 'circuitBreakerEnabled', 'failureThreshold', 'cooldownMs', 'timeoutMs', 'maxInFlight',
  'orderingMode', 'orderingKey', 'orderingOnExhausted',
];

/**
 * A new webhook's form: nothing typed. Text fields start empty (the form shows the server's
 * defaults as their placeholders); switches and selects start where the server's defaults are.
 */
export function emptyForm(): FormValues {
  return {
    name: '', url: '', description: '', events: '', maxRetries: '', initialDelayMs: '', backoffMultiplier: '', enabled: true, tenant: '',
    method: 'POST', authType: 'none', authToken: '', apiKey: '', apiKeyHeader: '', hmacSecret: '', hmacAlgorithm: 'sha256', hmacHeader: '',
    oauthTokenUrl: '', oauthClientId: '', oauthClientSecret: '', oauthAuthMethod: 'basic', oauthScope: '', oauthAudience: '',
    tlsClientCert: '', tlsClientKey: '', tlsPassphrase: '',
    headers: '', templateKind: 'none', template: '', rateLimitPerSecond: '', rateLimitBurst: '', circuitBreakerEnabled: true, failureThreshold: '',
    cooldownMs: '', timeoutMs: '', maxInFlight: '', filter: '', orderingMode: 'off', orderingKey: '', orderingOnExhausted: 'skip',
  };
}

const text = (value: number | string | undefined | null) => (value === undefined || value === null ? '' : String(value));

/** The form as a stored webhook fills it. Credentials are never sent back, so their fields start empty. */
export function formFromWebhook(webhook: Webhook): FormValues {
  const template = webhook.template;
  const preset = PRESETS.find((p) => p === template);
  return {
    ...emptyForm(),
    name: text(webhook.name),
    url: webhook.url,
    description: text(webhook.description),
    events: webhook.events.join(', '),
    maxRetries: text(webhook.retry.maxRetries),
    initialDelayMs: text(webhook.retry.initialDelayMs),
    backoffMultiplier: text(webhook.retry.backoffMultiplier),
    enabled: webhook.enabled,
    tenant: webhook.tenant,
    method: webhook.method,
    authType: webhook.auth.type,
    apiKeyHeader: text(webhook.auth.apiKeyHeader),
    hmacAlgorithm: webhook.auth.hmacAlgorithm ?? 'sha256',
    hmacHeader: text(webhook.auth.hmacHeader),
    oauthTokenUrl: text(webhook.auth.tokenUrl),
    oauthClientId: text(webhook.auth.clientId),
    oauthAuthMethod: webhook.auth.authMethod === 'post' ? 'post' : 'basic',
    oauthScope: text(webhook.auth.scope),
    oauthAudience: text(webhook.auth.audience),
    tlsClientCert: text(webhook.tls?.clientCert),
    headers: Object.entries(webhook.headers).map(([name, value]) => `${name}: ${value}`).join('\n'),
    templateKind: template === undefined ? 'none' : (preset ?? 'custom'),
    template: preset || template === undefined ? '' : template,
    rateLimitPerSecond: text(webhook.rateLimit?.perSecond),
    rateLimitBurst: text(webhook.rateLimit?.burst),
    circuitBreakerEnabled: webhook.circuitBreaker?.enabled ?? true,
    failureThreshold: text(webhook.circuitBreaker?.failureThreshold),
    cooldownMs: text(webhook.circuitBreaker?.cooldownMs),
    timeoutMs: text(webhook.timeoutMs),
    maxInFlight: text(webhook.maxInFlight),
    filter: webhook.filter === undefined ? '' : JSON.stringify(webhook.filter, null, 2),
    orderingMode: webhook.ordering ? 'fifo' : 'off',
    orderingKey: text(webhook.ordering?.key),
    orderingOnExhausted: webhook.ordering?.onExhausted ?? 'skip',
  };
}

/** "order.*, invoice.paid" → ["order.*", "invoice.paid"]. */
export function splitEventTypes(value: string): string[] {
  return value.split(',').map((part) => part.trim()).filter(Boolean);
}

/** The Filter field's text as a filter document: none when empty, else a JSON object or why not. */
export function parseFilterText(text: string): { ok: true; filter: Record<string, unknown> | undefined } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, filter: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `is not valid JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, error: 'must be a JSON object, such as {"data": {"amount": {"$gte": 100}}}' };
  return { ok: true, filter: parsed as Record<string, unknown> };
}

/** Reads the form's numbers; a field that is not a number gets its message in `errors`. */
class Reader {
  readonly errors: FormErrors = {};
  constructor(private readonly values: FormValues) {}

  number(field: FieldName): number | undefined {
    const raw = String(this.values[field]).trim();
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) {
      this.errors[field] = 'must be a number';
      return undefined;
    }
    return n;
  }

  /** The filter typed, as JSON; undefined when empty or not a JSON object (with its message). */
  filter(): Record<string, unknown> | undefined {
    const parsed = parseFilterText(this.values.filter);
    if (parsed.ok) return parsed.filter;
    this.errors.filter = parsed.error;
    return undefined;
  }

  headers(): Record<string, string> | undefined {
    const result: Record<string, string> = {};
    for (const line of this.values.headers.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.errors.headers = `"${line}" is not "name: value"`;
        return undefined;
      }
      const value = line.slice(colon + 1).trim();
      if (value === MASK) {
        this.errors.headers = 'stored values are hidden: enter every header with its value again';
        return undefined;
      }
      result[line.slice(0, colon).trim()] = value;
    }
    return result;
  }
}

function authOf(values: FormValues): NonNullable<WebhookCreate['auth']> {
  const optional = (value: string) => (value.trim() ? value.trim() : undefined);
  switch (values.authType) {
    case 'bearer':
      return { type: 'bearer', token: values.authToken };
    case 'api_key':
      return { type: 'api_key', apiKey: values.apiKey, ...(optional(values.apiKeyHeader) ? { apiKeyHeader: values.apiKeyHeader.trim() } : {}) };
    case 'hmac':
      return { type: 'hmac', hmacSecret: values.hmacSecret, hmacAlgorithm: values.hmacAlgorithm, ...(optional(values.hmacHeader) ? { hmacHeader: values.hmacHeader.trim() } : {}) };
    case 'oauth2':
      return {
        type: 'oauth2',
        tokenUrl: values.oauthTokenUrl.trim(),
        clientId: values.oauthClientId.trim(),
        clientSecret: values.oauthClientSecret,
        authMethod: values.oauthAuthMethod,
        ...(optional(values.oauthScope) ? { scope: values.oauthScope.trim() } : {}),
        ...(optional(values.oauthAudience) ? { audience: values.oauthAudience.trim() } : {}),
      };
    default:
      return { type: 'none' };
  }
}

/** The client certificate settings, or null when no certificate is given (its key is never shown, so it is typed again to change it). */
function tlsOf(values: FormValues): WebhookCreate['tls'] | null {
  if (!values.tlsClientCert.trim()) return null;
  return { clientCert: values.tlsClientCert.trim(), clientKey: values.tlsClientKey.trim(), ...(values.tlsPassphrase ? { passphrase: values.tlsPassphrase } : {}) };
}

function templateOf(values: FormValues): string | undefined {
  if (values.templateKind === 'none') return undefined;
  if (values.templateKind === 'custom') return values.template;
  return values.templateKind;
}

function rateLimitOf(read: Reader): WebhookCreate['rateLimit'] | undefined {
  const perSecond = read.number('rateLimitPerSecond');
  const burst = read.number('rateLimitBurst');
  if (perSecond === undefined) {
    if (burst !== undefined) read.errors.rateLimitPerSecond = 'required with a burst';
    return undefined;
  }
  return { perSecond, ...(burst === undefined ? {} : { burst }) };
}

function circuitBreakerOf(values: FormValues, read: Reader): NonNullable<WebhookCreate['circuitBreaker']> {
  const failureThreshold = read.number('failureThreshold');
  const cooldownMs = read.number('cooldownMs');
  return {
    enabled: values.circuitBreakerEnabled,
    ...(failureThreshold === undefined ? {} : { failureThreshold }),
    ...(cooldownMs === undefined ? {} : { cooldownMs }),
  };
}

/** The ordering chosen, or undefined when it is off (the key is checked by the API, which names it). */
function orderingOf(values: FormValues): WebhookCreate['ordering'] {
  if (values.orderingMode === 'off') return undefined;
  const key = values.orderingKey.trim();
  return { mode: 'fifo', ...(key ? { key } : {}), onExhausted: values.orderingOnExhausted };
}

export type Built<T> = { ok: true; body: T } | { ok: false; errors: FormErrors };

/**
 * The webhook to create, or the form's own errors (numbers that are not numbers). It holds only
 * what the person typed or changed: whatever is left as it was is the server's to decide (its
 * HERALD_RETRY_* and HERALD_DEFAULT_TIMEOUT_MS, which a form's own defaults would override).
 */
export function createBody(values: FormValues): Built<WebhookCreate> {
  const read = new Reader(values);
  const untouched = emptyForm();
  const changed = (field: FieldName) => values[field] !== untouched[field];
  const retry = Object.fromEntries(
    Object.entries({ maxRetries: read.number('maxRetries'), initialDelayMs: read.number('initialDelayMs'), backoffMultiplier: read.number('backoffMultiplier') }).filter(([, v]) => v !== undefined),
  );
  const headers = read.headers();
  const rateLimit = rateLimitOf(read);
  const circuitBreaker = circuitBreakerOf(values, read);
  const timeoutMs = read.number('timeoutMs');
  const maxInFlight = read.number('maxInFlight');
  const template = templateOf(values);
  const filter = read.filter();
  const tls = tlsOf(values);
  const events = splitEventTypes(values.events);
  const ordering = orderingOf(values);
  const body: WebhookCreate = {
    url: values.url.trim(),
    ...(events.length ? { events } : {}),
    ...(changed('enabled') ? { enabled: values.enabled } : {}),
    ...(changed('method') ? { method: values.method } : {}),
    ...(values.name.trim() ? { name: values.name.trim() } : {}),
    ...(values.description.trim() ? { description: values.description.trim() } : {}),
    ...(values.tenant.trim() ? { tenant: values.tenant.trim() } : {}),
    ...(Object.keys(retry).length ? { retry } : {}),
    ...(changed('authType') ? { auth: authOf(values) } : {}),
    ...(headers && Object.keys(headers).length ? { headers } : {}),
    ...(tls ? { tls } : {}),
    ...(template === undefined ? {} : { template }),
    ...(rateLimit ? { rateLimit } : {}),
    ...(Object.keys(circuitBreaker).length > 1 || !circuitBreaker.enabled ? { circuitBreaker } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(maxInFlight === undefined ? {} : { maxInFlight }),
    ...(filter === undefined ? {} : { filter }),
    ...(ordering ? { ordering } : {}),
  };
  return Object.keys(read.errors).length ? { ok: false, errors: read.errors } : { ok: true, body };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields that changed between the stored webhook's form and the form now. Nested objects go
 * whole (the API replaces them whole); a cleared optional field goes as null (the API removes it).
 */
export function updateBody(webhook: Webhook, initial: FormValues, values: FormValues): Built<WebhookUpdate> {
  const read = new Reader(values);
  const patch: WebhookUpdate = {};
  const changed = (...fields: FieldName[]) => fields.some((field) => !same(initial[field], values[field]));
  if (changed('url')) patch.url = values.url.trim();
  if (changed('name')) patch.name = values.name.trim() || null;
  if (changed('description')) patch.description = values.description.trim() || null;
  if (changed('events')) patch.events = splitEventTypes(values.events);
  if (changed('enabled')) patch.enabled = values.enabled;
  if (changed('method')) patch.method = values.method;
  if (changed('maxRetries', 'initialDelayMs', 'backoffMultiplier')) {
    const retry = { ...webhook.retry, maxRetries: read.number('maxRetries'), initialDelayMs: read.number('initialDelayMs'), backoffMultiplier: read.number('backoffMultiplier') };
    patch.retry = Object.fromEntries(Object.entries(retry).filter(([, v]) => v !== undefined && v !== null));
  }
  // Credentials are never shown: auth is sent when its type changed or a credential was typed.
  if (changed('authType', 'authToken', 'apiKey', 'apiKeyHeader', 'hmacSecret', 'hmacAlgorithm', 'hmacHeader', ...OAUTH_FIELDS)) patch.auth = authOf(values);
  if (changed('headers')) patch.headers = read.headers() ?? null;
  if (changed(...TLS_FIELDS)) patch.tls = tlsOf(values);
  if (changed('templateKind', 'template')) patch.template = templateOf(values) ?? null;
  if (changed('rateLimitPerSecond', 'rateLimitBurst')) patch.rateLimit = rateLimitOf(read) ?? null;
  if (changed('circuitBreakerEnabled', 'failureThreshold', 'cooldownMs')) patch.circuitBreaker = circuitBreakerOf(values, read);
  if (changed('timeoutMs')) {
    const timeoutMs = read.number('timeoutMs');
    if (timeoutMs !== undefined) patch.timeoutMs = timeoutMs;
  }
  if (changed('maxInFlight')) patch.maxInFlight = read.number('maxInFlight') ?? null;
  if (changed('filter')) patch.filter = read.filter() ?? null;
  if (changed('orderingMode', 'orderingKey', 'orderingOnExhausted')) patch.ordering = orderingOf(values) ?? null;
  return Object.keys(read.errors).length ? { ok: false, errors: read.errors } : { ok: true, body: patch };
}

const FIELD_BY_PATH: Record<string, FieldName> = {
  url: 'url', name: 'name', description: 'description', events: 'events', enabled: 'enabled', method: 'method', tenant: 'tenant',
  'retry.maxRetries': 'maxRetries', 'retry.initialDelayMs': 'initialDelayMs', 'retry.backoffMultiplier': 'backoffMultiplier',
  auth: 'authType', 'auth.type': 'authType', 'auth.token': 'authToken', 'auth.apiKey': 'apiKey', 'auth.apiKeyHeader': 'apiKeyHeader',
  'auth.hmacSecret': 'hmacSecret', 'auth.hmacAlgorithm': 'hmacAlgorithm', 'auth.hmacHeader': 'hmacHeader',
  'auth.tokenUrl': 'oauthTokenUrl', 'auth.clientId': 'oauthClientId', 'auth.clientSecret': 'oauthClientSecret', 'auth.authMethod': 'oauthAuthMethod',
  tls: 'tlsClientCert', 'tls.clientCert': 'tlsClientCert', 'tls.clientKey': 'tlsClientKey', 'tls.passphrase': 'tlsPassphrase', 'tls.ca': 'tlsClientCert',
  'auth.scope': 'oauthScope', 'auth.audience': 'oauthAudience', 'auth.extraParams': 'authType', 'auth.privateKeyJwt': 'authType',
  headers: 'headers', template: 'template', templateVars: 'template', eventTemplates: 'template',
  rateLimit: 'rateLimitPerSecond', 'rateLimit.perSecond': 'rateLimitPerSecond', 'rateLimit.burst': 'rateLimitBurst',
  circuitBreaker: 'circuitBreakerEnabled', 'circuitBreaker.enabled': 'circuitBreakerEnabled', 'circuitBreaker.failureThreshold': 'failureThreshold',
  'circuitBreaker.cooldownMs': 'cooldownMs', timeoutMs: 'timeoutMs', maxInFlight: 'maxInFlight',
  filter: 'filter', eventFilters: 'filter',
  ordering: 'orderingMode', 'ordering.mode': 'orderingMode', 'ordering.key': 'orderingKey', 'ordering.onExhausted': 'orderingOnExhausted',
};

/** The form field an API error's `field` path belongs to: `events.2` → events, `headers.x-a` → headers. */
export function fieldForPath(path: string): FieldName | undefined {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const field = FIELD_BY_PATH[parts.slice(0, n).join('.')];
    if (field) return field;
  }
  return undefined;
}

/** The API's `errors[]` placed beside their fields; errors of no field go to `form`. */
export function formErrorsFromApi(errors: readonly FieldError[]): FormErrors {
  const result: FormErrors = {};
  for (const { field, message } of errors) {
    const name = fieldForPath(field);
    if (!name) {
      (result.form ??= []).push(`${field}: ${message}`);
      continue;
    }
    // Below a list or a filter, the path says where: `events.2`, `filter.data.amount.$gte`.
    const where = (name === 'events' || name === 'filter') && field !== name ? `${field}: ` : '';
    result[name] = result[name] ? `${result[name]}; ${where}${message}` : `${where}${message}`;
  }
  return result;
}
