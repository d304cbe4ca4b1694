import type { RetryPolicy } from './schemas/retry-policy';

/** A source of numbers in [0, 1): `Math.random` in production, a fixed function in tests. */
export type RandomSource = () => number;

/** Attempts a delivery gets in all: the first one plus the policy's retries. */
export function maxAttempts(policy: RetryPolicy): number {
  return 1 + policy.maxRetries;
}

/**
 * Milliseconds to wait before retry number `retry` (1 = the first retry), spread by ±jitter
 * and never above maxDelayMs.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: RandomSource = Math.random): number {
  const n = Math.max(1, Math.floor(retry));
  const base =
    policy.strategy === 'schedule' && policy.delaysMs
      ? (policy.delaysMs[Math.min(n, policy.delaysMs.length) - 1] ?? 0)
      : policy.initialDelayMs * policy.backoffMultiplier ** (n - 1);
  const capped = Math.min(base, policy.maxDelayMs);
  const spread = capped * policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, capped + spread)));
}
