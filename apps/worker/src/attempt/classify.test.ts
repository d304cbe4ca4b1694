import { classify, parseRetryAfter } from './classify';
import type { HttpResult } from './http-client';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const response = (statusCode: number, headers: Record<string, string> = {}): HttpResult => ({
  kind: 'response',
  statusCode,
  headers,
  body: '',
});

describe('classify (the response rules of docs/reference.md)', () => {
  it.each([200, 201, 202, 204, 299])('%i succeeds', (status) => {
    expect(classify(response(status), NOW).kind).toBe('success');
  });

  it.each([408, 425, 429, 500, 502, 503, 504, 599])('%i is retried', (status) => {
    expect(classify(response(status), NOW)).toEqual({ kind: 'retry', reason: `HTTP ${status}` });
  });

  it.each([301, 302, 304, 307, 400, 401, 403, 404, 405, 409, 413, 422])('%i goes straight to dead letters', (status) => {
    expect(classify(response(status), NOW)).toEqual({ kind: 'fail', reason: `HTTP ${status}` });
  });

  it('410 disables the webhook', () => {
    expect(classify(response(410), NOW).kind).toBe('gone');
  });

  it('retries network errors and timeouts', () => {
    expect(classify({ kind: 'error', code: 'ECONNRESET', message: 'socket hang up' }, NOW)).toEqual({
      kind: 'retry',
      reason: 'ECONNRESET: socket hang up',
    });
    expect(classify({ kind: 'error', code: 'TIMEOUT', message: 'aborted' }, NOW).kind).toBe('retry');
    expect(classify({ kind: 'error', code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' }, NOW).kind).toBe('retry');
  });

  it('fails a refusal of the OAuth2 token endpoint, and retries its unavailability apart from the endpoint', () => {
    expect(classify({ kind: 'error', code: 'AUTH_REJECTED', message: 'token endpoint x answered HTTP 401' }, 0)).toEqual({
      kind: 'fail', reason: 'AUTH_REJECTED: token endpoint x answered HTTP 401', authRejected: true,
    });
    expect(classify({ kind: 'error', code: 'AUTH_UNAVAILABLE', message: 'token endpoint x answered HTTP 503' }, 0)).toEqual({
      kind: 'retry', reason: 'AUTH_UNAVAILABLE: token endpoint x answered HTTP 503', notTheEndpoint: true,
    });
  });

  it('does not retry a refused target', () => {
    expect(classify({ kind: 'error', code: 'TARGET_REFUSED', message: 'not public' }, NOW).kind).toBe('fail');
  });

  it('honours Retry-After on 429 and 503 only', () => {
    expect(classify(response(429, { 'retry-after': '7' }), NOW)).toEqual({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 7000 });
    expect(classify(response(503, { 'retry-after': '2' }), NOW)).toMatchObject({ retryAfterMs: 2000 });
    expect(classify(response(500, { 'retry-after': '2' }), NOW)).not.toHaveProperty('retryAfterMs');
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3000);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter(['5', '9'], NOW)).toBe(5000);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});
