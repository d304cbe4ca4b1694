import { deliveryBackoff } from './processor';
import { RetryableDeliveryError } from './errors';

describe("BullMQ's backoff hook", () => {
  it('waits what the decision chose for a failed attempt', () => {
    expect(deliveryBackoff(1, 'herald', new RetryableDeliveryError('HTTP 503', 1234))).toBe(1234);
  });

  it("falls back to the job's policy otherwise, counting the attempts made before the job", () => {
    const retry = { initialDelayMs: 100, jitter: 0 };
    expect(deliveryBackoff(2, 'herald', new Error('redis hiccup'), { data: { retry } })).toBe(200);
    // A retry job of a delivery first attempted straight from the stream: its first failure is the delivery's second.
    expect(deliveryBackoff(1, 'herald', new Error('redis hiccup'), { data: { retry, attemptsBefore: 1 } })).toBe(200);
    expect(deliveryBackoff(2, 'herald', new Error('redis hiccup'), { data: { retry, attemptsBefore: 1 } })).toBe(400);
  });
});
