import { retryPolicySchema } from '@herald/shared';
import { deliveryBackoff, nextDelayMs } from './processor';
import { RetryableDeliveryError } from './errors';

describe('retry timing', () => {
  const policy = retryPolicySchema.parse({ initialDelayMs: 1000, backoffMultiplier: 2, maxDelayMs: 5000, jitter: 0 });

  it('uses the policy, or Retry-After capped by maxDelayMs', () => {
    expect(nextDelayMs(policy, 1, undefined)).toBe(1000);
    expect(nextDelayMs(policy, 3, undefined)).toBe(4000);
    expect(nextDelayMs(policy, 4, undefined)).toBe(5000);
    expect(nextDelayMs(policy, 1, 3000)).toBe(3000);
    expect(nextDelayMs(policy, 1, 60_000)).toBe(5000);
  });

  it('lets BullMQ wait what the processor decided, and falls back to the job policy otherwise', () => {
    expect(deliveryBackoff(1, 'herald', new RetryableDeliveryError('HTTP 503', 1234))).toBe(1234);
    expect(deliveryBackoff(2, 'herald', new Error('redis hiccup'), { data: { retry: { initialDelayMs: 100, jitter: 0 } } })).toBe(200);
  });
});
