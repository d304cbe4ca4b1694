// When to try a request again, and how long to wait first: pure functions, so tests need no clock.

export interface RetryOptions {
  /**
   * Retries after the first attempt.
   * @defaultValue 3
   */
  maxRetries: number;
  /**
   * The first retry's delay ceiling; each further retry doubles it (full jitter: a random delay up to the ceiling).
   * @defaultValue 250
   */
  initialDelayMs: number;
  /**
   * The longest the client waits before a retry. A `Retry-After` longer than this is not waited for: the error is thrown.
   * @defaultValue 30000
   */
  maxDelayMs: number;
}

/** Statuses that say "not now": the request was not carried out, or may be tried again. */
const RETRYABLE_STATUSES = new Set([429, 503]);

/** Methods whose repetition changes nothing beyond the first time. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/**
 * Whether an answer (or a failure to get one) deserves another attempt. A 429 asks the client to
 * slow down without having acted, so every request may go again; a 503 or a network failure may
 * come after the request took effect, so only requests safe to repeat go again.
 */
export function shouldRetry(outcome: { status: number } | { networkError: true }, idempotent: boolean): boolean {
  if ('networkError' in outcome) return idempotent;
  if (outcome.status === 429) return true;
  return RETRYABLE_STATUSES.has(outcome.status) && idempotent;
}

/** `Retry-After` (delta seconds, or an HTTP date) in milliseconds from `nowMs`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before retry `retry` (1-based), or null to give up: after maxRetries, or when the server
 * asks for longer than maxDelayMs. The server's `Retry-After` wins over the backoff.
 */
export function retryDelayMs(retry: number, options: RetryOptions, retryAfter: number | undefined, random: () => number = Math.random): number | null {
  if (retry > options.maxRetries) return null;
  if (retryAfter !== undefined) return retryAfter <= options.maxDelayMs ? retryAfter : null;
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
