import { z } from 'zod';
import { commonEnvShape, envInt, envPort, loadEnvOrExit } from '@herald/shared';

export const apiEnvSchema = z.object({
  ...commonEnvShape,
  HERALD_API_PORT: envPort.default(8080),
  HERALD_API_HOST: z.string().min(1).default('0.0.0.0'),
  /** The token that sees and does everything under /v1. */
  HERALD_ADMIN_TOKEN: z
    .string({ error: 'is required: the bearer token for the /v1 API' })
    .min(16, 'must be at least 16 characters'),
  /** Approximate cap on the events stream (XADD MAXLEN ~). */
  HERALD_STREAM_MAXLEN: envInt(1000, 1_000_000_000).default(1_000_000),
  /** How long a producer's idempotency key is remembered, in seconds. */
  HERALD_IDEMPOTENCY_TTL_SECONDS: envInt(1, 30 * 86_400).default(86_400),
});
export type ApiEnv = z.output<typeof apiEnvSchema>;

export function loadApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return loadEnvOrExit(apiEnvSchema, env);
}
