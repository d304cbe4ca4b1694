import { z } from 'zod';
import { durationMsSchema } from './common';

export const MAX_RETRIES = 10;
const SEVEN_DAYS_MS = 7 * 86_400_000;

const boundedDelayMs = durationMsSchema.pipe(
  z.number().int().min(0).max(SEVEN_DAYS_MS, 'must be at most 7 days'),
);

/**
 * How a webhook's failed deliveries are retried. `exponential`: initialDelayMs × multiplier^(n-1),
 * capped at maxDelayMs. `schedule`: the n-th retry waits delaysMs[n-1] (the last one repeats).
 * Both spread by ±jitter.
 */
export const retryPolicySchema = z
  .strictObject({
    strategy: z.enum(['exponential', 'schedule']).default('exponential'),
    /** Retries after the first attempt. For a schedule it defaults to the schedule's length. */
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(MAX_RETRIES)
      .optional()
      .meta({ description: `Retries after the first attempt (0–${MAX_RETRIES}); default 3, or a schedule's length.` }),
    initialDelayMs: boundedDelayMs.default(1000).meta({ description: "Exponential: the first retry's delay (at most 7 days)." }),
    backoffMultiplier: z.number().min(1).max(10).default(2).meta({ description: 'Exponential: delay n is initialDelayMs × multiplier^(n-1).' }),
    maxDelayMs: boundedDelayMs.default(SEVEN_DAYS_MS).meta({ description: 'Caps every delay, Retry-After included.' }),
    jitter: z.number().min(0).max(1).default(0.1).meta({ description: 'Each delay is spread by ± this fraction.' }),
    delaysMs: z
      .array(boundedDelayMs)
      .min(1)
      .max(MAX_RETRIES)
      .optional()
      .meta({ description: 'Schedule: the n-th retry waits the n-th delay (the last repeats), e.g. ["1m","5m","15m","1h","6h"].' }),
  })
  .superRefine((policy, ctx) => {
    if (policy.strategy === 'schedule' && !policy.delaysMs) {
      ctx.addIssue({ code: 'custom', path: ['delaysMs'], message: 'is required when strategy is "schedule"' });
    }
  })
  .transform((policy) => ({
    ...policy,
    maxRetries: policy.maxRetries ?? (policy.strategy === 'schedule' ? (policy.delaysMs?.length ?? 3) : 3),
  }))
  .meta({
    id: 'RetryPolicyInput',
    description: 'How failed deliveries are retried: `exponential` (default: 3 retries after 1 s, 2 s, 4 s, ±10 %) or a fixed `schedule`.',
  });

export type RetryPolicyInput = z.input<typeof retryPolicySchema>;
export type RetryPolicy = z.output<typeof retryPolicySchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = retryPolicySchema.parse({});
