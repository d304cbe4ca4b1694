// Readable names for the types generated from the OpenAPI document (generated/openapi.ts).
import type { components, operations } from './generated/openapi';

type Schemas = components['schemas'];
type JsonBody<Operation, Status extends number> = Operation extends { responses: Record<Status, { content: { 'application/json': infer Body } }> } ? Body : never;
type Query<Operation> = Operation extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A time as the API takes it: ISO-8601 with an offset, unix milliseconds, or a Date. */
export type TimeInput = string | number | Date;

export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];

export type EventInput = Schemas['EventInput'];
export type PublishResult = Schemas['PublishResult'];
export type Event = Schemas['Event'];
export type EventDetail = Schemas['EventDetail'];
export type EventListQuery = Query<operations['listEvents']>;

export type Webhook = Schemas['Webhook'];
export type WebhookCreate = Schemas['WebhookCreate'];
export type WebhookUpdate = Schemas['WebhookUpdate'];
export type WebhookDefaults = Schemas['WebhookDefaults'];
export type CreatedWebhook = Schemas['CreatedWebhook'];
export type RotatedWebhook = Schemas['RotatedWebhook'];
export type RetryPolicy = Schemas['RetryPolicy'];
export type RetryPolicyInput = Schemas['RetryPolicyInput'];
export type DeliveryAttempt = Schemas['DeliveryAttempt'];
export type WebhookStats = Schemas['WebhookStats'];
/** A test send's result: the attempt (`delivered` or `failed`), or `pending` if none came in time. */
export type TestResult = Schemas['TestResult'] | Schemas['TestPending'];
export type DeliveriesQuery = Omit<Query<operations['listWebhookDeliveries']>, 'since'> & { since?: TimeInput };
export type RecoverInput = Omit<Schemas['Recover'], 'since'> & { since: TimeInput };

/** Ordered delivery (`ordering` on a webhook): one delivery at a time per line, in stream order. */
export type Ordering = Schemas['Ordering'];
/** A FIFO webhook's lines: deliveries waiting, lines, heads out, and each blocked line with its dead letter. */
export type FifoStatus = Schemas['FifoStatus'];
export type FifoBlockedLine = FifoStatus['blockedLines'][number];
export type FifoSkipInput = Schemas['FifoSkip'];
export type FifoSkipped = Schemas['FifoSkipped'];

/** A payload filter: a match document over `{ id, type, tenant, timestamp, data }`. */
export type Filter = Schemas['FilterTest']['filter'];
/** An event as a filter sees it (a delivered body works as it is). */
export type FilterEnvelope = Schemas['FilterEnvelope'];
export type FilterTestResult = Schemas['FilterTestResult'];
export type FilterPreview = Schemas['FilterPreview'];
export interface FilterPreviewQuery {
  /** How many of the newest events of the webhook's tenant and types (1–1000, default 100). */
  last?: number;
  /** A filter to try instead of the webhook's own filter and eventFilters. */
  filter?: Filter;
}

export type DeadLetter = Schemas['DeadLetter'];
export type DeadLetterDetail = Schemas['DeadLetterDetail'];
export type ReplayResult = Schemas['ReplayResult'];
/** Which dead letters: all of them when empty. */
export interface DeadLetterFilter {
  webhookId?: string;
  type?: string;
  /** Dead-lettered at or after. */
  since?: TimeInput;
  /** Dead-lettered before. */
  before?: TimeInput;
}
export type ReplayInput = { ids: string[] } | (DeadLetterFilter & { limit?: number });

export type Stats = Schemas['Stats'];
export type ConfigDocument = NonNullable<operations['applyConfig']['requestBody']>['content']['application/json'];
export type ConfigApplyResult = JsonBody<operations['applyConfig'], 200>;
export type ReencryptResult = JsonBody<operations['reencryptSecrets'], 200>;

/** The default body of a delivery, as a receiver gets it. */
export type WebhookEvent = Schemas['WebhookEvent'];

/** A page of a listing; pass `next` back to read the page after it (null: the last page). */
export interface Page<T, Next = string> {
  items: T[];
  next: Next | null;
}
