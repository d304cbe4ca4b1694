import { createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_TENANT, durationMsSchema, eventPatternSchema, tenantSchema } from './common';
import { retryPolicySchema } from './retry-policy';
import { clientTlsObject, clientTlsSchema } from './client-tls';
import { isTemplatePreset, PRESET_VARS, renderTemplate } from '../template';
import { filterDocumentSchema } from '../filters/filter-schema';

/** Headers Herald sets itself on every delivery; a webhook's custom headers may not override them. */
export const RESERVED_HEADER_NAMES = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-length',
  'content-type',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
] as const;
const RESERVED_HEADER_PREFIX = 'x-herald-';

/** Header names are case-insensitive: stored lowercase, so a custom header can never duplicate Herald's. */
const headerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'is not a valid HTTP header name')
  .transform((name) => name.toLowerCase())
  .refine(
    (name) => {
      const lower = name.toLowerCase();
      return !(RESERVED_HEADER_NAMES as readonly string[]).includes(lower) && !lower.startsWith(RESERVED_HEADER_PREFIX);
    },
    { message: 'is set by Herald and cannot be overridden' },
  );
/** Text that goes into a request header: a CR or LF would start another header, a NUL breaks it. */
const NO_CR_LF_NUL = /^[^\r\n\0]*$/;
const headerValueSchema = z.string().max(4096).regex(NO_CR_LF_NUL, 'must not contain CR, LF or NUL');
/**
 * A credential: sent as a header value (token, API key), or an HMAC key the receiver chose, of any
 * length it likes. All are refused with CR, LF or NUL when saved, rather than at every delivery.
 */
const credentialSchema = z.string().min(1).max(4096).regex(NO_CR_LF_NUL, 'must not contain CR, LF or NUL');

export const webhookUrlSchema = z
  // A missing URL is left to the parse's own message ("required").
  .url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? undefined : 'must be an http or https URL') })
  .max(2048)
  .meta({
    description:
      'Where deliveries go: http or https (https only with NODE_ENV=production), at most 2,048 characters. With NODE_ENV=production a host that is or resolves to a non-public address (loopback, private, link-local, metadata, …) is refused unless HERALD_ALLOW_PRIVATE_TARGETS=true or HERALD_ALLOWED_PRIVATE_TARGETS lists it; cloud metadata addresses only when HERALD_ALLOWED_PRIVATE_TARGETS names them.',
    example: 'https://example.com/hooks/herald',
  });

/** Form fields of a token request that Herald sets itself: `extraParams` may not override them. */
export const OAUTH2_RESERVED_PARAMS = ['grant_type', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'scope', 'audience'] as const;

const oauth2Fields = {
  tokenUrl: z
    .url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? undefined : 'must be an http or https URL') })
    .max(2048)
    .optional()
    .meta({ description: 'oauth2: the token endpoint (client credentials grant). Checked like the webhook URL (https in production, no private or metadata targets).' }),
  clientId: z.string().min(1).max(1024).regex(NO_CR_LF_NUL, 'must not contain CR, LF or NUL').optional().meta({ description: 'oauth2: the client id.' }),
  clientSecret: credentialSchema.optional().meta({ description: 'oauth2 with authMethod basic or post: the client secret. Never shown again.' }),
  privateKeyJwt: z
    .string()
    .max(16_384)
    .optional()
    .meta({ description: 'oauth2 with authMethod jwt: a PEM private key (RSA or EC P-256) that signs the client assertion (RFC 7523). Never shown again.' }),
  authMethod: z
    .enum(['basic', 'post', 'jwt'])
    .optional()
    .meta({ description: 'oauth2: how the client authenticates: `basic` (HTTP Basic, the default), `post` (client_id and client_secret in the form), `jwt` (private_key_jwt; the default when privateKeyJwt is given).' }),
  scope: z.string().min(1).max(1024).optional().meta({ description: 'oauth2: the scope asked for.' }),
  audience: z.string().min(1).max(1024).optional().meta({ description: 'oauth2: the audience asked for (Auth0, Okta, …).' }),
  extraParams: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, "_", "." or "-"').refine((name) => !(OAUTH2_RESERVED_PARAMS as readonly string[]).includes(name), 'is set by Herald'),
      z.string().max(1024),
    )
    .optional()
    .meta({ description: 'oauth2: more form fields for the token request (resource, …). Shown masked (********) once saved.' }),
};

/** The client authentication an oauth2 configuration uses. */
export function oauth2AuthMethod(auth: { authMethod?: 'basic' | 'post' | 'jwt' | undefined; privateKeyJwt?: string | undefined }): 'basic' | 'post' | 'jwt' {
  return auth.authMethod ?? (auth.privateKeyJwt ? 'jwt' : 'basic');
}

function checkPrivateKey(pem: string, ctx: z.RefinementCtx): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    ctx.addIssue({ code: 'custom', path: ['privateKeyJwt'], message: 'is not a PEM private key (an encrypted key is not accepted)' });
    return;
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'rsa' && !(key.asymmetricKeyType === 'ec' && curve === 'prime256v1')) {
    ctx.addIssue({ code: 'custom', path: ['privateKeyJwt'], message: 'must be an RSA or EC P-256 key (signs RS256 or ES256)' });
  }
}

export const authSchema = z
  .strictObject({
    type: z.enum(['none', 'bearer', 'api_key', 'hmac', 'oauth2']).default('none'),
    token: credentialSchema.optional(),
    apiKey: credentialSchema.optional(),
    apiKeyHeader: headerNameSchema.optional(),
    hmacSecret: credentialSchema.optional(),
    hmacAlgorithm: z.enum(['sha256', 'sha512']).default('sha256'),
    hmacHeader: headerNameSchema.optional(),
    ...oauth2Fields,
  })
  .superRefine((auth, ctx) => {
    const need = (field: 'token' | 'apiKey' | 'hmacSecret' | 'tokenUrl' | 'clientId' | 'clientSecret' | 'privateKeyJwt', why = `type is "${auth.type}"`) => {
      // An empty or malformed value has its own issue already; this one is for a missing value.
      if (auth[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required when ${why}` });
    };
    if (auth.type === 'bearer') need('token');
    if (auth.type === 'api_key') need('apiKey');
    if (auth.type === 'hmac') need('hmacSecret');
    if (auth.type === 'oauth2') {
      need('tokenUrl');
      need('clientId');
      const method = oauth2AuthMethod(auth);
      if (method === 'jwt') need('privateKeyJwt', 'authMethod is "jwt"');
      else need('clientSecret', `authMethod is "${method}"`);
      if (method === 'jwt' && auth.privateKeyJwt !== undefined) checkPrivateKey(auth.privateKeyJwt, ctx);
    }
  })
  .meta({
    description:
      'Credentials Herald sends with each delivery, besides the Standard Webhooks signature. `bearer`: `authorization: Bearer <token>`; `api_key`: `<apiKeyHeader>: <apiKey>` (header default x-api-key); `hmac`: `<hmacHeader>: sha256=<hex HMAC of the raw body>` keyed with hmacSecret (header default x-herald-signature-256); `oauth2`: `authorization: Bearer <access token>` from tokenUrl (client credentials grant; tokens are cached and shared by the workers, and renewed before they expire). Credentials are 1–4,096 characters without CR, LF or NUL, and are never shown again.',
  });
export type WebhookAuth = z.output<typeof authSchema>;

const SAMPLE_EVENT = {
  id: 'evt_sample',
  type: 'sample.event',
  data: { sample: true },
  tenant: 'default',
  occurredAt: new Date(0).toISOString(),
  receivedAt: 0,
};

/** A template text (JSON with {{placeholders}}) or a preset name; checked by rendering a sample event. */
const templateSchema = z
  .string()
  .min(1)
  .max(65_536)
  .superRefine((template, ctx) => {
    if (isTemplatePreset(template)) return;
    const result = renderTemplate(template, { event: SAMPLE_EVENT });
    if (!result.ok) ctx.addIssue({ code: 'custom', message: `is not a usable template: ${result.reason}` });
  });

/** At most `perSecond` deliveries a second on average, `burst` (default: perSecond, at least 1) at once. */
export const rateLimitSchema = z
  .strictObject({
    perSecond: z.number().min(1 / 3600, 'must be at least 1/3600 (one an hour)').max(100_000),
    burst: z.number().int().min(1).max(100_000).optional().meta({ description: 'Deliveries at once; default: perSecond, at least 1.' }),
  })
  .meta({
    description: 'A token bucket shared by all workers: a delivery over the limit waits; it never fails or spends an attempt.',
  });

/**
 * Opens after `failureThreshold` failed attempts in a row (timeouts, network errors, 408/425/429/5xx);
 * while open, deliveries wait. After `cooldownMs` one probe goes through: success closes it, failure
 * re-opens it. Worker-wide defaults apply to the fields left out.
 */
export const circuitBreakerSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    failureThreshold: z.number().int().min(1).max(1000).optional(),
    cooldownMs: durationMsSchema.pipe(z.number().int().min(100).max(86_400_000)).optional().meta({ description: '100 ms to 24 h.' }),
  })
  .meta({
    description:
      'Opens after failureThreshold failed attempts in a row (timeouts, network errors, 408/425/429/5xx); while open, deliveries wait in the queue. After cooldownMs one probe goes through. Fields left out take the worker defaults (on, 5, 30 s).',
  });

/** Where in the envelope an ordering key is read: `tenant`, `type`, or a field under `data`. */
export const orderingKeyPathSchema = z
  .string()
  .max(256)
  .regex(/^(tenant|type|data(\.[A-Za-z0-9_-]+){1,8})$/, 'must be "tenant", "type" or a path under data such as "data.orderId" (1–8 names of letters, digits, "_" or "-")')
  .refine((path) => !path.split('.').some((name) => ['__proto__', 'constructor', 'prototype'].includes(name)), 'must not name __proto__, constructor or prototype')
  .meta({ description: 'Where the ordering key is read: `tenant`, `type`, or a path under `data` such as `data.orderId`.', example: 'data.orderId' });

/**
 * Ordered delivery: one delivery at a time per line, in stream order. Without `key` the whole
 * webhook is one line; with it, each distinct value of the key is a line of its own.
 */
export const orderingSchema = z
  .strictObject({
    mode: z.literal('fifo'),
    key: orderingKeyPathSchema.optional(),
    onExhausted: z.enum(['skip', 'block']).default('skip').meta({
      description:
        '`skip` (the default): a head that spent its attempts is dead-lettered (lastError `fifo_skipped: …`) and its line moves on. `block`: it is dead-lettered (lastError `fifo_blocked: …`) and its line waits until an operator replays that dead letter (it is retried in place) or skips it (`POST /v1/webhooks/{id}/fifo/skip`).',
    }),
  })
  .meta({
    id: 'Ordering',
    description:
      'FIFO delivery. Deliveries of a line go one at a time in the order their events entered the stream: the next goes only after the previous succeeded or was skipped. The head retries in place with the webhook\'s backoff; the deliveries behind it wait without spending attempts. Lines run in parallel up to maxInFlight. An event without the key goes to the line of the empty key.',
  });
export type Ordering = z.output<typeof orderingSchema>;

/** A stable name, unique within a tenant: what declarative config matches webhooks by. */
export const webhookNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be 1–100 letters, digits, "_", "." or "-", starting with a letter or digit')
  .meta({ description: 'A stable name, unique within the tenant (409 if taken): 1–100 letters, digits, "_", "." or "-", starting with a letter or digit.', example: 'billing' });

const webhookFields = {
  name: webhookNameSchema.optional(),
  url: webhookUrlSchema,
  description: z.string().max(1000).optional().meta({ description: 'Free text, at most 1,000 characters.' }),
  events: z
    .array(eventPatternSchema)
    .min(1)
    .max(100)
    .meta({ description: '1–100 event types or patterns this webhook receives.', example: ['invoice.*', 'payment.failed'] }),
  enabled: z.boolean().meta({ description: 'Disabled webhooks get no deliveries; deliveries already queued are skipped.' }),
  method: z.enum(['POST', 'PUT']).meta({ description: 'The HTTP method of deliveries.' }),
  headers: z.record(headerNameSchema, headerValueSchema).meta({
    description:
      "Custom request headers (names stored lowercase; values at most 4,096 characters without CR, LF or NUL). Herald's own headers (webhook-*, x-herald-*, content-type, user-agent, host, …) cannot be set. Shown masked (********) once saved.",
  }),
  auth: authSchema,
  tls: clientTlsObject.optional(),
  retry: retryPolicySchema,
  timeoutMs: z.number().int().min(100).max(120_000).meta({ description: 'The whole attempt, connection included, in ms (100–120,000).' }),
  rateLimit: rateLimitSchema.optional(),
  circuitBreaker: circuitBreakerSchema.optional(),
  /** The body template (or preset: slack, discord, pagerduty) for every event type… */
  template: templateSchema.optional().meta({
    description:
      'A body template (JSON text with {{placeholders}} such as {{id}}, {{type}}, {{data.a.b}}, {{vars.name}}; values are inserted JSON-encoded, at most 64 KiB) or a preset: slack, discord, pagerduty. Checked when saved.',
  }),
  /** …unless an event-type pattern here matches: the most specific one wins. */
  eventTemplates: z
    .record(eventPatternSchema, templateSchema)
    .optional()
    .meta({ description: 'Templates by event pattern: the most specific matching pattern wins over `template`.' }),
  /** Values templates reach as {{vars.name}} (PagerDuty's routingKey, say); shown masked by the API. */
  templateVars: z
    .record(z.string().regex(/^[A-Za-z0-9_]+$/).max(64), z.string().max(4096))
    .optional()
    .meta({ description: "Values templates reach as {{vars.name}} (the pagerduty preset needs routingKey). Shown masked (********) once saved." }),
  /** Deliveries only of events that pass it… */
  filter: filterDocumentSchema.optional(),
  /** …unless an event-type pattern here matches: the most specific one's filter applies instead. */
  eventFilters: z
    .record(eventPatternSchema, filterDocumentSchema)
    .optional()
    .meta({ description: 'Filters by event pattern: the most specific matching pattern wins over `filter` (as for eventTemplates).' }),
  includePayload: z.boolean().meta({ description: '`false` sends no `data`.' }),
  maxPayloadBytes: z.number().int().min(1).max(1_048_576).optional().meta({
    description:
      'A default envelope over this many bytes is sent without `data` (with "dataOmitted"); a template over it is dead-lettered.',
  }),
  /**
   * Deliveries in flight to this endpoint at once, per worker process; more wait (in the worker
   * briefly, else in the queue) without spending an attempt. Unset: the worker's default.
   */
  maxInFlight: z.number().int().min(1).max(10_000).optional().meta({
    description:
      "Deliveries in flight to this endpoint at once, per worker process (at most the worker's concurrency); more wait without spending an attempt. Unset: the worker's HERALD_WEBHOOK_MAX_IN_FLIGHT.",
  }),
  /**
   * Deliveries that may wait parked while the circuit is open; past it, new ones are dead-lettered
   * (reason backlog_full) and webhook.backlog_full is published. Unset: the worker's default.
   */
  ordering: orderingSchema.optional(),
  maxBacklog: z.number().int().min(1).max(1_000_000_000).optional().meta({
    description:
      "Deliveries that may wait parked while this endpoint's circuit is open (each about 300 bytes of Redis beyond its event's payload); past it, new deliveries are dead-lettered with lastError `backlog_full` and `webhook.backlog_full` is published. Unset: the worker's HERALD_MAX_BACKLOG (1,000,000).",
  }),
};

/** Body of `POST /v1/webhooks`. */
/** A preset used by `template` or `eventTemplates` must get the variables it needs. */
function checkPresetVars(
  webhook: { template?: string | undefined; eventTemplates?: Record<string, string> | undefined; templateVars?: Record<string, string> | undefined },
  ctx: z.RefinementCtx,
): void {
  const used = [webhook.template, ...Object.values(webhook.eventTemplates ?? {})].filter((t): t is string => t !== undefined);
  for (const name of new Set(used)) {
    if (!isTemplatePreset(name)) continue;
    for (const variable of PRESET_VARS[name].required) {
      if (!webhook.templateVars?.[variable]) {
        ctx.addIssue({ code: 'custom', path: ['templateVars', variable], message: `is required by the ${name} preset` });
      }
    }
  }
}

/** Body of `POST /v1/webhooks`, before the cross-field checks (extend this one). */
export const webhookCreateObject = z.strictObject({
  ...webhookFields,
  tenant: tenantSchema.default(DEFAULT_TENANT),
  events: webhookFields.events.default(['*']),
  enabled: webhookFields.enabled.default(true),
  method: webhookFields.method.default('POST'),
  headers: webhookFields.headers.default({}),
  auth: authSchema.default({ type: 'none', hmacAlgorithm: 'sha256' }),
  tls: clientTlsSchema.optional(),
  retry: retryPolicySchema.default(retryPolicySchema.parse({})),
  timeoutMs: webhookFields.timeoutMs.default(10_000),
  includePayload: webhookFields.includePayload.default(true),
});

/** Body of `POST /v1/webhooks`. */
export const webhookCreateSchema = webhookCreateObject.superRefine(checkPresetVars).meta({
  id: 'WebhookCreate',
  description:
    'A new webhook. Fields left out take their defaults (the retry and timeout defaults come from the API\'s HERALD_RETRY_* and HERALD_DEFAULT_TIMEOUT_MS).',
});
export { checkPresetVars };
export type WebhookCreate = z.input<typeof webhookCreateSchema>;

/**
 * Body of `PATCH /v1/webhooks/:id`: any subset of the fields; nested objects are replaced whole;
 * null clears an optional field, or puts one that has a default (headers, auth) back to it. The
 * webhook the patch makes is checked as a new one would be (WebhookStore.update).
 */
export const webhookUpdateSchema = z.strictObject({
  name: webhookNameSchema.nullable().optional(),
  url: webhookFields.url.optional(),
  description: webhookFields.description.nullable().optional(),
  events: webhookFields.events.optional(),
  enabled: webhookFields.enabled.optional(),
  method: webhookFields.method.optional(),
  headers: webhookFields.headers.nullable().optional(),
  auth: authSchema.nullable().optional(),
  tls: clientTlsSchema.nullable().optional(),
  retry: retryPolicySchema.optional(),
  timeoutMs: webhookFields.timeoutMs.optional(),
  rateLimit: rateLimitSchema.nullable().optional(),
  circuitBreaker: circuitBreakerSchema.nullable().optional(),
  template: webhookFields.template.nullable().optional(),
  eventTemplates: webhookFields.eventTemplates.nullable().optional(),
  templateVars: webhookFields.templateVars.nullable().optional(),
  filter: webhookFields.filter.nullable().optional(),
  eventFilters: webhookFields.eventFilters.nullable().optional(),
  includePayload: webhookFields.includePayload.optional(),
  maxPayloadBytes: webhookFields.maxPayloadBytes.nullable().optional(),
  maxInFlight: webhookFields.maxInFlight.nullable().optional(),
  maxBacklog: webhookFields.maxBacklog.nullable().optional(),
  ordering: orderingSchema.nullable().optional(),
}).meta({
  id: 'WebhookUpdate',
  description:
    'Any subset of the fields. Nested objects (retry, auth, …) are replaced whole; null removes an optional field, or puts headers and auth back to their defaults. The webhook the patch makes must pass every check a new one does.',
});
export type WebhookUpdate = z.input<typeof webhookUpdateSchema>;

/** A webhook as stored. `secret` signs deliveries; `previousSecrets` still sign until they expire. */
export const webhookSchema = z.object({
  ...webhookFields,
  id: z.string().regex(/^wh_[A-Za-z0-9_-]+$/),
  tenant: tenantSchema,
  secret: z.string().startsWith('whsec_'),
  previousSecrets: z.array(z.object({ secret: z.string(), expiresAt: z.number().int() })).default([]),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Webhook = z.output<typeof webhookSchema>;

/**
 * A webhook as the API shows it: no signing secret, no auth credentials, custom header values
 * masked; `auth` holds only what applies to its type (no HMAC algorithm beside a bearer token).
 */
export type PublicWebhook = Omit<Webhook, 'secret' | 'previousSecrets' | 'auth' | 'tls'> & {
  /** The client certificate and CA bundle (public); never the key or its passphrase. */
  tls?: { clientCert: string; ca?: string };
  auth: Pick<WebhookAuth, 'type' | 'apiKeyHeader' | 'hmacHeader' | 'tokenUrl' | 'clientId' | 'authMethod' | 'scope' | 'audience' | 'extraParams'> & {
    hmacAlgorithm?: WebhookAuth['hmacAlgorithm'];
  };
};

/** Custom header values often carry credentials: the API shows that a header is set, not its value. */
export const MASKED_HEADER_VALUE = '********';

export function toPublicWebhook(webhook: Webhook): PublicWebhook {
  const { secret: _secret, previousSecrets: _previous, auth, headers, tls, ...rest } = webhook;
  const publicAuth: PublicWebhook['auth'] = { type: auth.type };
  if (auth.type === 'api_key' && auth.apiKeyHeader) publicAuth.apiKeyHeader = auth.apiKeyHeader;
  if (auth.type === 'hmac') {
    publicAuth.hmacAlgorithm = auth.hmacAlgorithm;
    if (auth.hmacHeader) publicAuth.hmacHeader = auth.hmacHeader;
  }
  const mask = (record: Record<string, string>) => Object.fromEntries(Object.keys(record).map((name) => [name, MASKED_HEADER_VALUE]));
  if (auth.type === 'oauth2') {
    Object.assign(publicAuth, {
      tokenUrl: auth.tokenUrl,
      clientId: auth.clientId,
      authMethod: oauth2AuthMethod(auth),
      ...(auth.scope ? { scope: auth.scope } : {}),
      ...(auth.audience ? { audience: auth.audience } : {}),
      ...(auth.extraParams ? { extraParams: mask(auth.extraParams) } : {}),
    });
  }
  return {
    ...rest,
    headers: mask(headers),
    ...(rest.templateVars ? { templateVars: mask(rest.templateVars) } : {}),
    ...(tls ? { tls: { clientCert: tls.clientCert, ...(tls.ca ? { ca: tls.ca } : {}) } } : {}),
    auth: publicAuth,
  };
}
