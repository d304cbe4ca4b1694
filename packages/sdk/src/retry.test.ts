import { isIdempotentMethod, retryAfterMs, retryDelayMs, shouldRetry } from './retry';

const OPTIONS = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 1000 };

describe('retryAfterMs', () => {
  it('reads delta seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('backs off exponentially with full jitter, capped, and stops after maxRetries', () => {
    expect([1, 2, 3].map((retry) => retryDelayMs(retry, OPTIONS, undefined, () => 0.999))).toEqual([99, 199, 399]);
    expect(retryDelayMs(2, { ...OPTIONS, maxDelayMs: 150 }, undefined, () => 0.999)).toBe(149);
    expect(retryDelayMs(1, OPTIONS, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(4, OPTIONS, undefined, () => 0.5)).toBeNull();
    expect(retryDelayMs(1, { ...OPTIONS, maxRetries: 0 }, undefined)).toBeNull();
  });

  it("waits what the server's Retry-After asks, unless that is longer than maxDelayMs", () => {
    expect(retryDelayMs(1, OPTIONS, 800)).toBe(800);
    expect(retryDelayMs(1, OPTIONS, 1001)).toBeNull();
    expect(retryDelayMs(4, OPTIONS, 10)).toBeNull();
  });
});

describe('shouldRetry', () => {
  it('retries 429 always; 503 and network failures only when the request is safe to repeat; nothing else', () => {
    expect(shouldRetry({ status: 429 }, false)).toBe(true);
    expect(shouldRetry({ status: 503 }, true)).toBe(true);
    expect(shouldRetry({ status: 503 }, false)).toBe(false);
    expect(shouldRetry({ networkError: true }, true)).toBe(true);
    expect(shouldRetry({ networkError: true }, false)).toBe(false);
    for (const status of [200, 400, 404, 500, 502]) expect(shouldRetry({ status }, true)).toBe(false);
  });

  it('takes GET, HEAD, OPTIONS, PUT and DELETE as safe to repeat, not POST or PATCH by method alone', () => {
    expect(['GET', 'head', 'OPTIONS', 'PUT', 'DELETE'].map(isIdempotentMethod)).toEqual([true, true, true, true, true]);
    expect(['POST', 'PATCH'].map(isIdempotentMethod)).toEqual([false, false]);
  });
});
