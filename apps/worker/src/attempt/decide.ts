// What one attempt means for its delivery: a pure function of the verdict, the attempt number and
// the retry policy. Both ways of delivering (straight from the stream, from the queue) act on it.
import { retryDelayMs, type CircuitEffect, type RandomSource, type RetryPolicy } from '@herald/shared';
import type { SpentVerdict } from './classify';

export interface AttemptFacts {
  /** Never `held`: such an attempt is not spent, and there is nothing to decide (attemptInSlot). */
  verdict: SpentVerdict;
  /** Whether the endpoint answered at all (any HTTP status), as opposed to an error before or instead of an answer. */
  answered: boolean;
  /** 1-based number of this attempt within this run of the delivery. */
  attempt: number;
  /** Attempts this run may make in all. */
  maxAttempts: number;
  policy: RetryPolicy;
}

export interface Decision {
  outcome: 'success' | 'retry' | 'dead_letter';
  /** Wait before the next attempt (retry only): the receiver's Retry-After (capped) or the policy's delay. */
  delayMs: number;
  /** What the attempt says about the endpoint, for its circuit breaker. */
  circuitEffect: CircuitEffect;
  /** Why it did not succeed. */
  reason?: string;
  /** The endpoint said 410 Gone: the webhook is to be disabled. */
  disableWebhook: boolean;
  /** The webhook's OAuth2 token endpoint refused: webhook.auth_failed is to be published. */
  authRejected?: true;
}

/** The wait before attempt `attempt + 1`: Retry-After capped by maxDelayMs, else the policy's delay. */
export function nextDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random?: RandomSource): number {
  return retryAfterMs === undefined ? retryDelayMs(policy, attempt, random) : Math.min(retryAfterMs, policy.maxDelayMs);
}

export function decide(facts: AttemptFacts, random: RandomSource = Math.random): Decision {
  const { verdict } = facts;
  // The circuit breaker counts what says something about the endpoint: an answer, or the lack of
  // one. A delivery that never reached it (refused target, unrenderable body) is neutral.
  // A token endpoint that could not answer says nothing about the endpoint.
  const circuitEffect: CircuitEffect =
    (verdict.kind === 'retry' && !verdict.notTheEndpoint) || verdict.kind === 'gone' ? 'failure' : facts.answered ? 'success' : 'neutral';
  if (verdict.kind === 'success') return { outcome: 'success', delayMs: 0, circuitEffect, disableWebhook: false };
  const base = {
    circuitEffect,
    reason: verdict.reason,
    disableWebhook: verdict.kind === 'gone',
    ...(verdict.kind === 'fail' && verdict.authRejected ? { authRejected: true as const } : {}),
  };
  if (verdict.kind === 'retry' && facts.attempt < facts.maxAttempts) {
    return { ...base, outcome: 'retry', delayMs: nextDelayMs(facts.policy, facts.attempt, verdict.retryAfterMs, random) };
  }
  return { ...base, outcome: 'dead_letter', delayMs: 0 };
}
