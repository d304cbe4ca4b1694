// What a delivery's HTTP result means for the delivery (docs/reference.md, "Response handling").
import { AUTH_REJECTED, AUTH_UNAVAILABLE, RENDER_FAILED, TARGET_REFUSED, type HttpResult } from './http-client';
import { PROXY_FAILED } from './egress-proxy';

export type Verdict =
  | { kind: 'success' }
  /**
   * Worth another try; `retryAfterMs` when the receiver said when (Retry-After on 429/503).
   * `notTheEndpoint`: the attempt never reached the endpoint through no fault of its own (its OAuth2
   * token endpoint could not answer), so its circuit does not count it.
   */
  | { kind: 'retry'; reason: string; retryAfterMs?: number; notTheEndpoint?: true }
  /** Will not succeed by retrying: straight to dead letters. `authRejected`: the OAuth2 token endpoint refused. */
  | { kind: 'fail'; reason: string; authRejected?: true }
  /** 410 Gone: the receiver wants no more; the webhook is disabled. */
  | { kind: 'gone'; reason: string }
  /** The egress proxy failed: the endpoint was never reached; the attempt is not spent. */
  | { kind: 'held'; reason: string };

/** The verdict of an attempt that counts: it reached the endpoint, or failed on Herald's side of it. */
export type SpentVerdict = Exclude<Verdict, { kind: 'held' }>;

const RETRYABLE_STATUS = new Set([408, 425, 429]);

export function classify(result: HttpResult, nowMs: number): Verdict {
  if (result.kind === 'error') {
    // A refused target stays refused and a failed template fails again: retrying cannot help.
    if (result.code === TARGET_REFUSED || result.code === RENDER_FAILED) return { kind: 'fail', reason: `${result.code}: ${result.message}` };
    if (result.code === PROXY_FAILED) return { kind: 'held', reason: `${result.code}: ${result.message}` };
    if (result.code === AUTH_REJECTED) return { kind: 'fail', reason: `${result.code}: ${result.message}`, authRejected: true };
    if (result.code === AUTH_UNAVAILABLE) return { kind: 'retry', reason: `${result.code}: ${result.message}`, notTheEndpoint: true };
    return { kind: 'retry', reason: `${result.code}: ${result.message}` };
  }
  const status = result.statusCode;
  if (status >= 200 && status < 300) return { kind: 'success' };
  if (status === 410) return { kind: 'gone', reason: 'HTTP 410 Gone' };
  if (RETRYABLE_STATUS.has(status) || status >= 500) {
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(result.headers['retry-after'], nowMs) : undefined;
    return retryAfterMs === undefined
      ? { kind: 'retry', reason: `HTTP ${status}` }
      : { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs };
  }
  return { kind: 'fail', reason: `HTTP ${status}` };
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
