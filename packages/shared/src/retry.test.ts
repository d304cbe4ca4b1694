import { maxAttempts, retryDelayMs } from './retry';
import { retryPolicySchema } from './schemas/retry-policy';

const noJitter = () => 0.5; // 2r-1 = 0: no spread

describe('retryDelayMs', () => {
  it('defaults to 1 s, 2 s, 4 s with three retries', () => {
    const policy = retryPolicySchema.parse({});
    expect(maxAttempts(policy)).toBe(4);
    expect([1, 2, 3].map((n) => retryDelayMs(policy, n, noJitter))).toEqual([1000, 2000, 4000]);
  });

  it('applies the multiplier and the cap', () => {
    const policy = retryPolicySchema.parse({ initialDelayMs: 100, backoffMultiplier: 3, maxDelayMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([100, 300, 900, 1000]);
  });

  it('spreads by at most ±jitter and never above the cap', () => {
    const policy = retryPolicySchema.parse({ initialDelayMs: 1000, jitter: 0.2, maxDelayMs: 1100 });
    expect(retryDelayMs(policy, 1, () => 0)).toBe(800);
    expect(retryDelayMs(policy, 1, () => 0.999999)).toBe(1100);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(policy, 1);
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1100);
    }
  });

  it('follows a fixed schedule written as durations, repeating the last step', () => {
    const policy = retryPolicySchema.parse({ strategy: 'schedule', delaysMs: ['1m', '5m', '15m', '1h', '6h'], jitter: 0 });
    expect(policy.maxRetries).toBe(5);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(policy, n))).toEqual([
      60_000, 300_000, 900_000, 3_600_000, 21_600_000, 21_600_000,
    ]);
  });
});

describe('retryPolicySchema', () => {
  it('requires a schedule for the schedule strategy', () => {
    const result = retryPolicySchema.safeParse({ strategy: 'schedule' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['delaysMs']);
  });

  it('caps retries at 10 and rejects unknown fields and bad durations', () => {
    expect(retryPolicySchema.safeParse({ maxRetries: 11 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ maxRetries: 10 }).success).toBe(true);
    expect(retryPolicySchema.safeParse({ retries: 3 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ strategy: 'schedule', delaysMs: ['5 minutes'] }).success).toBe(false);
  });
});
