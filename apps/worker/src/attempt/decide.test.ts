import { retryPolicySchema } from '@herald/shared';
import type { SpentVerdict as Verdict } from './classify';
import { decide, nextDelayMs, type AttemptFacts, type Decision } from './decide';

const policy = retryPolicySchema.parse({ initialDelayMs: 1000, backoffMultiplier: 2, maxDelayMs: 5000, jitter: 0, maxRetries: 3 });
const retry = (reason: string, retryAfterMs?: number): Verdict => (retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs });

describe('decide', () => {
  const cases: [string, Partial<AttemptFacts> & { verdict: Verdict }, Decision][] = [
    ['a 2xx succeeds', { verdict: { kind: 'success' } },
      { outcome: 'success', delayMs: 0, circuitEffect: 'success', disableWebhook: false }],
    ['a 503 on attempt 1 of 4 retries after the first delay', { verdict: retry('HTTP 503') },
      { outcome: 'retry', delayMs: 1000, circuitEffect: 'failure', reason: 'HTTP 503', disableWebhook: false }],
    ['a 503 on attempt 3 of 4 retries after the third delay', { verdict: retry('HTTP 503'), attempt: 3 },
      { outcome: 'retry', delayMs: 4000, circuitEffect: 'failure', reason: 'HTTP 503', disableWebhook: false }],
    ['a 503 on the last attempt is dead-lettered', { verdict: retry('HTTP 503'), attempt: 4 },
      { outcome: 'dead_letter', delayMs: 0, circuitEffect: 'failure', reason: 'HTTP 503', disableWebhook: false }],
    ['Retry-After is honoured', { verdict: retry('HTTP 429', 3000) },
      { outcome: 'retry', delayMs: 3000, circuitEffect: 'failure', reason: 'HTTP 429', disableWebhook: false }],
    ['Retry-After is capped by maxDelayMs', { verdict: retry('HTTP 503', 60_000) },
      { outcome: 'retry', delayMs: 5000, circuitEffect: 'failure', reason: 'HTTP 503', disableWebhook: false }],
    ['a timeout (no answer) is retried and counts against the circuit', { verdict: retry('TIMEOUT: no answer'), answered: false },
      { outcome: 'retry', delayMs: 1000, circuitEffect: 'failure', reason: 'TIMEOUT: no answer', disableWebhook: false }],
    ['a 400 goes straight to dead letters; the endpoint answered', { verdict: { kind: 'fail', reason: 'HTTP 400' } },
      { outcome: 'dead_letter', delayMs: 0, circuitEffect: 'success', reason: 'HTTP 400', disableWebhook: false }],
    ['a refused target is dead-lettered and says nothing about the endpoint', { verdict: { kind: 'fail', reason: 'TARGET_REFUSED: private' }, answered: false },
      { outcome: 'dead_letter', delayMs: 0, circuitEffect: 'neutral', reason: 'TARGET_REFUSED: private', disableWebhook: false }],
    ['a refusal from the OAuth2 token endpoint is dead-lettered, neutral for the circuit, and flagged', { verdict: { kind: 'fail', reason: 'AUTH_REJECTED: 401', authRejected: true }, answered: false },
      { outcome: 'dead_letter', delayMs: 0, circuitEffect: 'neutral', reason: 'AUTH_REJECTED: 401', disableWebhook: false, authRejected: true }],
    ['an unavailable OAuth2 token endpoint is retried and does not count against the circuit', { verdict: { kind: 'retry', reason: 'AUTH_UNAVAILABLE: 503', notTheEndpoint: true }, answered: false },
      { outcome: 'retry', delayMs: 1000, circuitEffect: 'neutral', reason: 'AUTH_UNAVAILABLE: 503', disableWebhook: false }],
    ['410 Gone dead-letters and disables the webhook', { verdict: { kind: 'gone', reason: 'HTTP 410 Gone' } },
      { outcome: 'dead_letter', delayMs: 0, circuitEffect: 'failure', reason: 'HTTP 410 Gone', disableWebhook: true }],
    ['with no retries left by policy, a 503 on attempt 1 of 1 is dead-lettered', { verdict: retry('HTTP 503'), maxAttempts: 1 },
      { outcome: 'dead_letter', delayMs: 0, circuitEffect: 'failure', reason: 'HTTP 503', disableWebhook: false }],
  ];

  it.each(cases)('%s', (_name, facts, expected) => {
    const full: AttemptFacts = { answered: true, attempt: 1, maxAttempts: 4, policy, ...facts };
    expect(decide(full, () => 0.5)).toEqual(expected);
  });

  it('spreads the delay by the policy jitter with the random source given', () => {
    const jittery = retryPolicySchema.parse({ initialDelayMs: 1000, jitter: 0.5 });
    const facts: AttemptFacts = { verdict: retry('HTTP 500'), answered: true, attempt: 1, maxAttempts: 4, policy: jittery };
    expect(decide(facts, () => 0).delayMs).toBe(500);
    expect(decide(facts, () => 0.999999).delayMs).toBe(1500);
  });
});

describe('nextDelayMs', () => {
  it('uses the policy, or Retry-After capped by maxDelayMs', () => {
    expect(nextDelayMs(policy, 1, undefined)).toBe(1000);
    expect(nextDelayMs(policy, 3, undefined)).toBe(4000);
    expect(nextDelayMs(policy, 4, undefined)).toBe(5000);
    expect(nextDelayMs(policy, 1, 3000)).toBe(3000);
    expect(nextDelayMs(policy, 1, 60_000)).toBe(5000);
  });
});
