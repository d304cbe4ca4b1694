import { z } from 'zod';
import { commonEnvShape, envInt, envPort, hashToken, loadEnvOrExit, tenantSchema } from '@herald/shared';

/**
 * `tenant:token` pairs, comma-separated: tokens that act only for their tenant. Kept as a map from
 * the token's SHA-256 to the tenant, so that checking a token never compares the token itself.
 */
const tenantTokensSchema = z
  .string()
  .default('')
  .transform((text, ctx) => {
    const byHash = new Map<string, string>();
    for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const separator = pair.indexOf(':');
      const tenant = pair.slice(0, separator);
      const token = pair.slice(separator + 1);
      if (separator <= 0 || !tenantSchema.safeParse(tenant).success || token.length < 16) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated tenant:token pairs, each token at least 16 characters' });
        return byHash;
      }
      byHash.set(hashToken(token), tenant);
    }
    return byHash;
  });

export const apiEnvSchema = z.object({
  ...commonEnvShape,
  HERALD_API_PORT: envPort.default(8080),
  HERALD_API_HOST: z.string().min(1).default('0.0.0.0'),
  /** The token that sees and does everything under /v1. */
  HERALD_ADMIN_TOKEN: z
    .string({ error: 'is required: the bearer token for the /v1 API' })
    .min(16, 'must be at least 16 characters'),
  HERALD_TENANT_TOKENS: tenantTokensSchema,
  /** Approximate cap on the events stream (XADD MAXLEN ~). */
  HERALD_STREAM_MAXLEN: envInt(1000, 1_000_000_000).default(1_000_000),
  /** How long a producer's idempotency key is remembered, in seconds. */
  HERALD_IDEMPOTENCY_TTL_SECONDS: envInt(1, 30 * 86_400).default(86_400),
});
export type ApiEnv = z.output<typeof apiEnvSchema>;

export function loadApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return loadEnvOrExit(apiEnvSchema, env);
}
