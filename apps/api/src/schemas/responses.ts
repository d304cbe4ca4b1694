// What the API answers with, as zod schemas: the OpenAPI document is generated from them, and the
// handlers' results are typed by them, so a change to either shows in the other.
import { z } from 'zod';
import {
  orderingSchema,
  DEFAULT_TENANT,
  deadLetterSchema,
  deliveryAttemptSchema,
  storedEventSchema,
  storedTokenSchema,
  webhookSchema,
} from '@herald/shared';

const isoTime = (description: string) => z.string().meta({ format: 'date-time', description });

export const fieldErrorSchema = z
  .object({
    field: z.string().meta({ description: 'Dotted path of the failing field: `url`, `events.3.type`, `Idempotency-Key`, or `(body)` for the body as a whole.' }),
    message: z.string().meta({ description: 'What is wrong with it: `required`, `is not a known field`, …' }),
  })
  .meta({ id: 'FieldError' });
export type FieldError = z.infer<typeof fieldErrorSchema>;

export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'Always `about:blank`: `status` and `title` say what happened.' }),
    title: z.string().meta({ example: 'Invalid request' }),
    status: z.number().int().meta({ example: 400 }),
    detail: z.string().optional().meta({ example: 'Invalid field(s): url, events.0' }),
    errors: z.array(fieldErrorSchema).optional().meta({ description: 'For invalid input (400): each failing field, and why.' }),
  })
  .meta({ id: 'Problem', description: 'An error, as RFC 9457 problem details (`application/problem+json`).' });

export const publishResultSchema = z
  .object({
    id: z.string().meta({ description: "Herald's event id (`evt_…`); for a duplicate, the id its idempotency key was first accepted as.", example: 'evt_01J9ZQ6X2V8K3M4N5P6Q7R8S9T' }),
    duplicate: z.boolean().meta({ description: '`true` when the idempotency key was accepted before: nothing new was published.' }),
  })
  .meta({ id: 'PublishResult' });
export type PublishResult = z.infer<typeof publishResultSchema>;

export const batchResultSchema = z
  .object({ events: z.array(publishResultSchema).meta({ description: 'One result per event, in the order sent.' }) })
  .meta({ id: 'BatchResult' });

export const eventListSchema = z.object({ data: z.array(storedEventSchema).meta({ description: 'Newest first.' }) }).meta({ id: 'EventList' });

export const eventDetailSchema = z
  .object({
    id: z.string(),
    event: storedEventSchema.nullable().meta({ description: 'The event, while it is among the newest 1,000 in the stream; else null.' }),
    deliveries: z.array(deliveryAttemptSchema).meta({ description: 'Every attempt at delivering it, newest first (kept HERALD_EVENT_ATTEMPTS_TTL).' }),
  })
  .meta({ id: 'EventDetail' });

export const eventStatsSchema = z
  .object({ byType: z.record(z.string(), z.number().int()).meta({ description: 'Events fanned out, by event type.' }) })
  .meta({ id: 'EventStats' });

const publicAuthSchema = z
  .strictObject({
    type: z.enum(['none', 'bearer', 'api_key', 'hmac', 'oauth2']),
    hmacAlgorithm: z.enum(['sha256', 'sha512']).optional().meta({ description: 'Type `hmac` only.' }),
    apiKeyHeader: z.string().optional().meta({ description: 'Type `api_key` only, when set.' }),
    hmacHeader: z.string().optional().meta({ description: 'Type `hmac` only, when set.' }),
    tokenUrl: z.string().optional().meta({ description: 'Type `oauth2` only.' }),
    clientId: z.string().optional().meta({ description: 'Type `oauth2` only.' }),
    authMethod: z.enum(['basic', 'post', 'jwt']).optional().meta({ description: 'Type `oauth2` only: the client authentication in use.' }),
    scope: z.string().optional().meta({ description: 'Type `oauth2` only, when set.' }),
    audience: z.string().optional().meta({ description: 'Type `oauth2` only, when set.' }),
    extraParams: z.record(z.string(), z.string()).optional().meta({ description: 'Type `oauth2` only, when set: names, values masked (********).' }),
  })
  .meta({ id: 'WebhookAuth', description: 'How deliveries authenticate: the fields of its type only; credentials are never shown.' });

/** A retry policy as stored: every field resolved to a number. */
export const retryPolicyOutputSchema = z
  .strictObject({
    strategy: z.enum(['exponential', 'schedule']),
    maxRetries: z.number().int().min(0).max(10),
    initialDelayMs: z.number().int().min(0),
    backoffMultiplier: z.number(),
    maxDelayMs: z.number().int().min(0),
    jitter: z.number().min(0).max(1),
    delaysMs: z.array(z.number().int().min(0)).optional(),
  })
  .meta({ id: 'RetryPolicy', description: 'How failed deliveries are retried; durations in milliseconds.' });

const circuitBreakerOutputSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    failureThreshold: z.number().int().optional(),
    cooldownMs: z.number().int().optional(),
  })
  .meta({ id: 'CircuitBreaker', description: 'Fields left out take the worker defaults (on, 5, 30 s).' });

export const circuitStatusSchema = z
  .strictObject({
    state: z.enum(['closed', 'open', 'half_open']).meta({ description: '`open`: deliveries wait; `half_open`: one probe is out; `closed`: deliveries go.' }),
    openedAt: isoTime('When the circuit last opened (open and half-open only).').optional(),
    nextProbeAt: isoTime('From when one delivery may go through as a probe (open only; when it has passed, the next delivery is the probe).').optional(),
  })
  .meta({ id: 'CircuitStatus', description: "The webhook's circuit breaker now, shared by all workers." });

const { secret: _secret, previousSecrets: _previousSecrets, auth: _auth, tls: _tls, retry: _retry, circuitBreaker: _circuit, ...publicShape } = webhookSchema.shape;

const publicTlsSchema = z
  .strictObject({
    clientCert: z.string().meta({ description: 'The client certificate Herald presents (PEM).' }),
    ca: z.string().optional().meta({ description: "The certificates trusted for the endpoint's own, when set (PEM)." }),
  })
  .meta({ id: 'WebhookTls', description: 'Mutual TLS: the certificate Herald presents; its key and passphrase are never shown.' });

/** A webhook as the API shows it: no signing secret, no credentials, custom header and template variable values masked. */
export const publicWebhookSchema = z
  .strictObject({
    ...publicShape,
    id: z.string().meta({ example: 'wh_3kTq9vJ2bXw8' }),
    tenant: publicShape.tenant.meta({ description: `The webhook's tenant (default "${DEFAULT_TENANT}").` }),
    auth: publicAuthSchema,
    tls: publicTlsSchema.optional(),
    retry: retryPolicyOutputSchema,
    circuitBreaker: circuitBreakerOutputSchema.optional(),
    circuit: circuitStatusSchema,
    createdAt: isoTime('When it was created.'),
    updatedAt: isoTime('When it last changed.'),
  })
  .meta({ id: 'Webhook', description: 'A webhook: one endpoint subscription. Never shows its secret or credentials.' });

export const webhookDefaultsSchema = z
  .strictObject({
    tenant: z.string().meta({ description: 'The tenant a webhook is created in without `tenant`: a tenant token\'s own, else "default".' }),
    events: publicShape.events,
    enabled: publicShape.enabled,
    method: publicShape.method,
    retry: retryPolicyOutputSchema,
    timeoutMs: publicShape.timeoutMs,
    includePayload: publicShape.includePayload,
  })
  .meta({
    id: 'WebhookDefaults',
    description:
      "What a new webhook gets for each field it leaves out: the API's HERALD_RETRY_* and HERALD_DEFAULT_TIMEOUT_MS where set (a retry object sent is filled in field by field), else Herald's own. Forms show these as placeholders and send only what the person typed. The circuit breaker's and in-flight defaults are the workers' (not shown here).",
  });

export const webhookListSchema = z.object({ data: z.array(publicWebhookSchema).meta({ description: 'Oldest first.' }) }).meta({ id: 'WebhookList' });

const signingSecret = z
  .string()
  .startsWith('whsec_')
  .meta({
    description: 'The signing secret (`whsec_` and the base64 of 32 random bytes): shown only in this response. Receivers verify `webhook-signature` with it.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  });

export const createdWebhookSchema = z
  .strictObject({ ...publicWebhookSchema.shape, secret: signingSecret })
  .meta({ id: 'CreatedWebhook', description: 'The new webhook, with its signing secret: the only time it is shown.' });

export const rotatedWebhookSchema = z
  .strictObject({
    ...publicWebhookSchema.shape,
    secret: signingSecret,
    previousSecretExpiresAt: isoTime('Until when the previous secret still signs, beside the new one; null when it stopped at once.').nullable(),
  })
  .meta({ id: 'RotatedWebhook' });

export const attemptPageSchema = z
  .object({
    data: z.array(deliveryAttemptSchema).meta({ description: 'Newest first.' }),
    nextOffset: z.number().int().nullable().meta({ description: 'Pass as `offset` for the next page; null at the end.' }),
  })
  .meta({ id: 'AttemptPage' });

export const webhookStatsSchema = z
  .object({
    total: z.number().int().meta({ description: 'Attempts in the log (the newest HERALD_ATTEMPT_LOG_SIZE): every figure but `lifetime` is computed from them.' }),
    succeeded: z.number().int(),
    failed: z.number().int(),
    successRate: z.number().nullable().meta({ description: 'Attempts that succeeded: succeeded / total, 0–1; null without attempts.' }),
    deliveryRate: z
      .number()
      .nullable()
      .meta({
        description:
          'Deliveries delivered, of those settled in the log: successes / (successes + dead letters), 0–1; null before any settled. A delivery that succeeds at its fourth attempt counts once here, and as one success in four attempts in successRate.',
      }),
    averageDurationMs: z.number().nullable(),
    p95DurationMs: z.number().nullable(),
    lastSuccessAt: isoTime('The newest successful attempt.').nullable(),
    lastFailureAt: isoTime('The newest failed attempt.').nullable(),
    lifetime: z
      .object({ total: z.number().int(), success: z.number().int(), retry: z.number().int(), dead_letter: z.number().int() })
      .meta({ description: 'Counters since the webhook was created (not capped like the log).' }),
  })
  .meta({ id: 'WebhookStats' });
export type WebhookStats = z.infer<typeof webhookStatsSchema>;

export const testResultSchema = z
  .object({
    eventId: z.string().meta({ description: 'The `herald.test` event sent.' }),
    status: z.enum(['delivered', 'failed']),
    attempt: deliveryAttemptSchema,
  })
  .meta({ id: 'TestResult' });

export const testPendingSchema = z
  .object({
    eventId: z.string(),
    status: z.literal('pending'),
    detail: z.string(),
  })
  .meta({ id: 'TestPending', description: "No attempt reported within the webhook's timeout + 5 s: see its delivery log." });

export const replayResultSchema = z
  .object({
    replayed: z.array(z.string()).meta({ description: 'Dead letter ids turned back into deliveries (same delivery id and webhook-id).' }),
    skipped: z
      .array(z.object({ id: z.string(), reason: z.string().meta({ example: 'webhook disabled' }) }))
      .meta({ description: 'Dead letters left as they are: not found, or their webhook is deleted or disabled.' }),
  })
  .meta({ id: 'ReplayResult' });
export type ReplayResult = z.infer<typeof replayResultSchema>;

export const deadLetterPageSchema = z
  .object({
    data: z.array(deadLetterSchema).meta({ description: 'Newest first.' }),
    next: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null at the end (a page that ends exactly at the end may still have one: its next page is empty).' }),
  })
  .meta({ id: 'DeadLetterPage' });

export const deadLetterDetailSchema = z
  .object({
    ...deadLetterSchema.shape,
    attemptLog: z.array(deliveryAttemptSchema).meta({ description: 'Its attempts, newest first (while the event\'s attempt list is kept: HERALD_EVENT_ATTEMPTS_TTL).' }),
  })
  .meta({ id: 'DeadLetterDetail' });

const eventRatesSchema = z.object({
  perMinute: z.number().int().meta({ description: 'Events fanned out in the last full minute.' }),
  currentMinute: z.number().int(),
  lastHour: z.number().int(),
  series: z.array(z.number().int()).meta({ description: 'Per minute over the last hour, oldest first (the last one still filling).' }),
});

const deliveryTotalsSchema = z.object({
  attempts: z.number().int(),
  success: z.number().int(),
  retry: z.number().int(),
  deadLetter: z.number().int(),
  successRate: z.number().nullable().meta({ description: 'Attempts that succeeded: success / attempts, 0–1; null without attempts.' }),
  deliveryRate: z
    .number()
    .nullable()
    .meta({ description: 'Deliveries delivered, of those settled: success / (success + deadLetter), 0–1; null before any settled. Retries do not lower it.' }),
});

const deliveryMinuteSchema = z.object({ success: z.number().int(), retry: z.number().int(), deadLetter: z.number().int() });

export const statsSchema = z
  .object({
    events: eventRatesSchema,
    deliveries: deliveryTotalsSchema.extend({
      series: z
        .array(deliveryMinuteSchema)
        .meta({ description: "Producers' delivery attempts per minute over the last hour, by outcome, oldest first (the last one still filling). Kept for 24 h." }),
    }),
    operational: z
      .object({ events: eventRatesSchema, deliveries: deliveryTotalsSchema })
      .meta({ description: "Herald's own operational events (circuit_breaker.*, …) and their deliveries, counted apart from producers'." }),
    queue: z.record(z.string(), z.number().int()).meta({ description: 'Jobs in the BullMQ queue `deliveries`, by state.' }),
    deadLetters: z.number().int(),
    circuitsOpen: z.number().int().meta({ description: 'Webhooks whose circuit breaker is open or half-open now.' }),
    stream: z.object({ length: z.number().int(), pending: z.number().int().meta({ description: 'Entries read but not yet acknowledged.' }) }),
  })
  .meta({ id: 'Stats' });
export type Stats = z.infer<typeof statsSchema>;

const tokenSchema = storedTokenSchema.meta({ id: 'Token', description: 'A tenant token; the token itself is never shown again.' });
export const tokenListSchema = z.object({ data: z.array(tokenSchema) }).meta({ id: 'TokenList' });
export const createdTokenSchema = z
  .object({
    ...storedTokenSchema.shape,
    token: z.string().meta({ description: 'The bearer token (`hrld_<tenant>_…`): shown only in this response, stored as a SHA-256 hash.' }),
  })
  .meta({ id: 'CreatedToken' });

export const configApplyResultSchema = z
  .object({
    dryRun: z.boolean(),
    created: z.array(z.string()).meta({ description: 'Names of the webhooks created.' }),
    updated: z.array(z.object({ name: z.string(), tenant: z.string(), fields: z.array(z.string()) })),
    unchanged: z.array(z.string()),
    secrets: z
      .array(z.object({ name: z.string(), tenant: z.string(), id: z.string(), secret: z.string() }))
      .meta({ description: 'The signing secret of each webhook created (none on a dry run): shown only here.' }),
  })
  .meta({ id: 'ConfigApplyResult' });
export type ConfigApplyResult = z.infer<typeof configApplyResultSchema>;

export const reencryptResultSchema = z
  .object({
    rewritten: z.number().int().meta({ description: 'Webhooks whose secrets were rewritten under HERALD_ENCRYPTION_KEY.' }),
    unreadable: z
      .array(z.string())
      .meta({ description: 'Ids of webhooks whose secrets neither HERALD_ENCRYPTION_KEY nor HERALD_ENCRYPTION_KEY_PREVIOUS opens (left as they are).' }),
    cachedTokensDropped: z.number().int().meta({ description: 'Cached OAuth2 access tokens deleted (the workers fetch new ones under the new key).' }),
  })
  .meta({ id: 'ReencryptResult' });
export type ReencryptResult = z.infer<typeof reencryptResultSchema>;

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const readySchema = z.object({ status: z.literal('ready'), redis: z.literal('ok') }).meta({ id: 'Ready' });
export const notReadySchema = z
  .object({
    status: z.literal('unavailable'),
    redis: z.string().meta({
      description: 'Why Redis is not usable, in words, with where it was expected.',
      example: 'Redis refused the connection at 127.0.0.1:6379',
    }),
  })
  .meta({ id: 'NotReady' });

/** The body Herald POSTs to an endpoint by default (a template replaces it). */
export const deliveryEnvelopeSchema = z
  .object({
    id: z.string().meta({ description: 'The event id (`evt_…`), also the `webhook-id` header.' }),
    type: z.string().meta({ example: 'invoice.paid' }),
    timestamp: z.string().meta({ description: "The event's occurredAt (ISO-8601)." }),
    tenant: z.string(),
    data: z.record(z.string(), z.unknown()).optional().meta({ description: 'The data as the producer sent it; left out with includePayload false or over maxPayloadBytes.' }),
    dataOmitted: z.string().optional().meta({ description: 'Why `data` is left out (`exceeds maxPayloadBytes`).' }),
  })
  .meta({ id: 'WebhookEvent', description: 'The default body of a delivery.' });

export const filterTestResultSchema = z
  .object({
    matched: z.boolean().meta({ description: 'Whether the event passes the filter.' }),
    failed: z.string().optional().meta({ description: 'When it does not: the first condition it fails, in words.', example: 'data.amount: 50 is not >= 100' }),
  })
  .meta({ id: 'FilterTestResult' });

export const fifoStatusSchema = z
  .object({
    ordering: orderingSchema.nullable().meta({ description: "The webhook's ordering, or null: it has none (lines may still drain from before)." }),
    deliveries: z.number().int().meta({ description: 'Deliveries waiting in its lines, heads included.' }),
    lines: z.number().int().meta({ description: 'Lines with deliveries waiting.' }),
    inFlight: z.number().int().meta({ description: 'Lines whose head is out: being attempted, or waiting for its retry, its circuit or its rate limit.' }),
    oldestHeadAt: z.string().nullable().meta({ description: "When the oldest head's event entered the stream (ISO-8601), or null." }),
    blocked: z.number().int().meta({ description: 'Lines blocked: their head spent its attempts (onExhausted block).' }),
    blockedLines: z
      .array(
        z.object({
          key: z.string().meta({ description: "The line: its ordering key's value ('' without a key)." }),
          eventId: z.string().meta({ description: "The blocked head's event." }),
          deadLetterId: z.string().meta({ description: 'Its dead letter: replaying it retries the head in place; POST …/fifo/skip moves the line on without it.' }),
          since: z.string().meta({ description: 'When it blocked (ISO-8601).' }),
          error: z.string().meta({ description: 'Why its last attempt failed.' }),
        }),
      )
      .meta({ description: 'The blocked lines (at most 1,000).' }),
  })
  .meta({ id: 'FifoStatus' });

export const fifoSkippedSchema = z
  .object({
    key: z.string().meta({ description: 'The line.' }),
    skippedEventId: z.string().meta({ description: 'The head skipped: its dead letter stays, and can be replayed (to the tail of the line).' }),
    deadLetterId: z.string(),
  })
  .meta({ id: 'FifoSkipped' });

export const filterPreviewSchema = z
  .object({
    events: z.number().int().meta({ description: 'Events the filter ran over: the newest `last` of the webhook\'s tenant and event types, among the newest 10,000 in the stream.' }),
    matched: z.number().int().meta({ description: 'Of them, those the filter lets through (all of them for a webhook without a filter).' }),
    refused: z.number().int().meta({ description: 'Of them, those it refuses: no delivery would be made.' }),
    samples: z
      .object({
        matched: z.array(storedEventSchema).meta({ description: 'Up to 5 events let through, newest first.' }),
        refused: z
          .array(z.object({ event: storedEventSchema, failed: z.string().meta({ description: 'The first condition it fails, in words.' }) }))
          .meta({ description: 'Up to 5 events refused, newest first, each with why.' }),
      }),
  })
  .meta({ id: 'FilterPreview' });
