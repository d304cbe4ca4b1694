// `new Herald({ baseUrl, token })`: the API for producers and operators.
import { ConfigResource } from './resources/config';
import { SecretsResource } from './resources/secrets';
import { DeadLettersResource } from './resources/dead-letters';
import { EventsResource } from './resources/events';
import { FiltersResource } from './resources/filters';
import { requestContext, unwrap, type RequestContext } from './resources/request';
import { WebhooksResource } from './resources/webhooks';
import type { RetryOptions } from './retry';
import type { Stats } from './types';
import { SDK_VERSION } from './version';

export interface HeraldOptions {
  /** Where the API is: `http://127.0.0.1:8080`, `https://herald.example.com`. */
  baseUrl: string;
  /** The admin token, or a tenant token (which acts for its own tenant only). */
  token: string;
  /**
   * How long one attempt may take before it is abandoned (a HeraldNetworkError with `timedOut`).
   * `webhooks.test` waits longer, as the API does.
   * @defaultValue 30000
   */
  timeoutMs?: number;
  /**
   * Retries of 429 (any request), and of 503 and network failures (requests safe to repeat: reads,
   * deletes, updates, publishing with its idempotency key), after a backoff or the `Retry-After` asked for.
   * `{ maxRetries: 0 }` turns them off.
   * @defaultValue `{ maxRetries: 3, initialDelayMs: 250, maxDelayMs: 30000 }`
   */
  retry?: Partial<RetryOptions>;
  /**
   * The fetch to send with.
   * @defaultValue globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /** Headers sent with every request besides the token. */
  headers?: Record<string, string>;
}

const DEFAULTS = { timeoutMs: 30_000, retry: { maxRetries: 3, initialDelayMs: 250, maxDelayMs: 30_000 } } as const;

export class Herald {
  readonly events: EventsResource;
  readonly webhooks: WebhooksResource;
  readonly deadLetters: DeadLettersResource;
  /** Payload filters tried on an event before they go live. */
  readonly filters: FiltersResource;
  /** Declarative configuration (`herald apply`): admin token. */
  readonly config: ConfigResource;
  /** Secrets at rest (`herald secrets reencrypt`): admin token. */
  readonly secrets: SecretsResource;
  private readonly context: RequestContext;

  constructor(options: HeraldOptions) {
    if (!options.baseUrl) throw new TypeError('Herald: baseUrl is required');
    if (!options.token) throw new TypeError('Herald: token is required');
    this.context = requestContext({
      baseUrl: options.baseUrl,
      headers: { 'user-agent': `herald-sdk/${SDK_VERSION}`, ...options.headers, authorization: `Bearer ${options.token}` },
      // Called as a plain function: a browser's fetch refuses to run with another `this` (Illegal invocation).
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      retry: { ...DEFAULTS.retry, ...options.retry },
    });
    this.events = new EventsResource(this.context);
    this.webhooks = new WebhooksResource(this.context);
    this.deadLetters = new DeadLettersResource(this.context);
    this.filters = new FiltersResource(this.context);
    this.config = new ConfigResource(this.context);
    this.secrets = new SecretsResource(this.context);
  }

  /** Overall statistics (admin token): events per minute, delivery totals, queue depths, dead letters. */
  async stats(): Promise<Stats> {
    return unwrap(await this.context.api.GET('/v1/stats'));
  }
}
