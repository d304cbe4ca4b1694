import type {
  CreatedWebhook,
  DeliveriesQuery,
  DeliveryAttempt,
  FifoSkipInput,
  FifoSkipped,
  FifoStatus,
  FilterPreview,
  FilterPreviewQuery,
  Page,
  RecoverInput,
  ReplayResult,
  RotatedWebhook,
  TestResult,
  Webhook,
  WebhookCreate,
  WebhookDefaults,
  WebhookStats,
  WebhookUpdate,
} from '../types';
import { timeParam, unwrap, type RequestContext } from './request';

/** A test send waits for the webhook's timeout (up to 120 s) plus 5 s before the API answers. */
const TEST_TIMEOUT_MS = 130_000;

export class WebhooksResource {
  constructor(private readonly context: RequestContext) {}

  /** Creates a webhook; the answer is the only one that carries its signing secret. Not retried after a 503. */
  async create(webhook: WebhookCreate): Promise<CreatedWebhook> {
    return unwrap(await this.context.api.POST('/v1/webhooks', { body: webhook }));
  }

  /** Every webhook (of one tenant), oldest first; never with secrets. */
  async list(query: { tenant?: string } = {}): Promise<Webhook[]> {
    return unwrap(await this.context.api.GET('/v1/webhooks', { params: { query } })).data;
  }

  /** What a new webhook gets for the fields it leaves out, as the API is configured (a form's placeholders). */
  async defaults(): Promise<WebhookDefaults> {
    return unwrap(await this.context.api.GET('/v1/webhooks/defaults'));
  }

  async get(id: string): Promise<Webhook> {
    return unwrap(await this.context.api.GET('/v1/webhooks/{id}', { params: { path: { id } } }));
  }

  /** Sets the fields given; null removes an optional one. The same patch twice is the same as once, so it is retried. */
  async update(id: string, patch: WebhookUpdate): Promise<Webhook> {
    return unwrap(
      await this.context.api.PATCH('/v1/webhooks/{id}', { params: { path: { id } }, body: patch, fetch: this.context.fetchFor({ idempotent: true }) }),
    );
  }

  async delete(id: string): Promise<void> {
    unwrap(await this.context.api.DELETE('/v1/webhooks/{id}', { params: { path: { id } } }));
  }

  /** Sends one `herald.test` event to this webhook only and waits for the attempt. */
  async test(id: string): Promise<TestResult> {
    return unwrap(
      await this.context.api.POST('/v1/webhooks/{id}/test', { params: { path: { id } }, fetch: this.context.fetchFor({ timeoutMs: TEST_TIMEOUT_MS }) }),
    );
  }

  /** A new signing secret (shown only in the answer); the old one still signs for `graceMs` (default 24 h). */
  async rotateSecret(id: string, options: { graceMs?: number | string } = {}): Promise<RotatedWebhook> {
    return unwrap(await this.context.api.POST('/v1/webhooks/{id}/rotate-secret', { params: { path: { id } }, body: options }));
  }

  /** The attempt log, newest first; pass `next` as `offset` for the page after. */
  async deliveries(id: string, query: DeliveriesQuery = {}): Promise<Page<DeliveryAttempt, number>> {
    const { since, ...rest } = query;
    const page = unwrap(
      await this.context.api.GET('/v1/webhooks/{id}/deliveries', {
        params: { path: { id }, query: { ...rest, since: timeParam(since) } },
      }),
    );
    return { items: page.data, next: page.nextOffset };
  }

  /**
   * What the webhook's filter (or `query.filter`, to try one before saving it) would do to the
   * newest events of its tenant and types: counts, and a few events of each side.
   */
  async previewFilter(id: string, query: FilterPreviewQuery = {}): Promise<FilterPreview> {
    const { filter, ...rest } = query;
    return unwrap(
      await this.context.api.GET('/v1/webhooks/{id}/filter/preview', {
        params: { path: { id }, query: { ...rest, ...(filter === undefined ? {} : { filter: JSON.stringify(filter) }) } },
      }),
    );
  }

  async stats(id: string): Promise<WebhookStats> {
    return unwrap(await this.context.api.GET('/v1/webhooks/{id}/stats', { params: { path: { id } } }));
  }

  /** Replays this webhook's dead letters parked since `since`. */
  async recover(id: string, input: RecoverInput): Promise<ReplayResult> {
    const { since, ...rest } = input;
    return unwrap(await this.context.api.POST('/v1/webhooks/{id}/recover', { params: { path: { id } }, body: { ...rest, since: timeParam(since) as string | number } }));
  }

  /** A FIFO webhook's lines (`ordering`): deliveries waiting, lines, heads out, the oldest head, and each blocked line. */
  async fifo(id: string): Promise<FifoStatus> {
    return unwrap(await this.context.api.GET('/v1/webhooks/{id}/fifo', { params: { path: { id } } }));
  }

  /**
   * Moves a blocked line on without its head (`onExhausted: "block"`): the head's dead letter stays,
   * and replaying it later puts it at the tail of its line. `key` names the line; leave it out for a
   * webhook without an ordering key. To retry the head in place instead, replay its dead letter.
   * Not retried after a 503: a second skip would skip the next head if the line blocked again.
   */
  async skipFifoHead(id: string, input: FifoSkipInput = {}): Promise<FifoSkipped> {
    return unwrap(await this.context.api.POST('/v1/webhooks/{id}/fifo/skip', { params: { path: { id } }, body: input }));
  }
}
