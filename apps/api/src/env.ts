import { z } from 'zod';
import {
  checkRedisSettings,
  checkEncryptionKeys,
  commonEnvShape,
  envDurationMsSchema,
  parseDurationMs,
  plainMessages,
  envInt,
  envPort,
  hashToken,
  loadEnvOrExit,
  retryPolicySchema,
  tenantSchema,
  type RetryPolicyInput,
} from '@herald/shared';

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


export const apiEnvSchema = z
  .object({
  ...commonEnvShape,
  HERALD_API_PORT: envPort.default(8080),
  HERALD_API_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * How long an idle keep-alive connection stays open (ms). Above the idle timeout of a load
   * balancer in front (commonly 60 s): if the API closed first, the balancer could send a request
   * on a connection being closed, and answer 502.
   * @defaultValue 65000
   */
  HERALD_HTTP_KEEPALIVE_TIMEOUT_MS: envInt(1000, 3_600_000).default(65_000),
  /** The token that sees and does everything under /v1. */
  HERALD_ADMIN_TOKEN: z
    .string({ error: 'is required: the bearer token for the /v1 API' })
    .min(16, 'must be at least 16 characters'),
  HERALD_TENANT_TOKENS: tenantTokensSchema,
  /** A YAML file of webhooks applied at start (see README, "Declarative configuration"). */
  HERALD_CONFIG: z.string().min(1).optional(),
  /** Defaults for webhooks created without these retry settings. */
  HERALD_RETRY_MAX_RETRIES: envInt(0, 10).optional(),
  HERALD_RETRY_INITIAL_DELAY: envDurationMsSchema.optional(),
  HERALD_RETRY_MULTIPLIER: z.coerce.number().min(1).max(10).optional(),
  HERALD_RETRY_MAX_DELAY: envDurationMsSchema.optional(),
  HERALD_RETRY_JITTER: z.coerce.number().min(0).max(1).optional(),
  /** A fixed schedule, comma-separated ("1m,5m,15m,1h,6h"): makes "schedule" the default strategy. */
  HERALD_RETRY_SCHEDULE: z
    .string()
    .transform((text, ctx) => {
      const delays = text.split(',').map((part) => parseDurationMs(part));
      if (delays.length > 10 || delays.some((d) => d === null)) {
        ctx.addIssue({ code: 'custom', message: 'must be up to 10 comma-separated durations such as "1m,5m,15m,1h,6h"' });
        return z.NEVER;
      }
      return delays as number[];
    })
    .optional(),
  HERALD_DEFAULT_TIMEOUT_MS: envInt(100, 120_000).optional(),
  /**
   * How long a request waits for any one Redis command. Redis that stops answering without closing
   * the connection (frozen, or behind a partition) would otherwise hold requests for ever; past
   * this the request gets 503 with Retry-After.
   */
  HERALD_REDIS_COMMAND_TIMEOUT_MS: envInt(100, 60_000).default(2000),
  /**
   * The share of Redis's maxmemory past which new events are refused (503 Storage full), leaving
   * the rest for the deliveries, retries and settlements of what was accepted; 1 refuses only what
   * Redis itself does.
   */
  HERALD_REDIS_MEMORY_HIGH_WATER: z.coerce
    .number({ error: 'must be a number' })
    .gt(0, 'must be more than 0')
    .max(1, 'must be at most 1 (a share of maxmemory)')
    .default(0.9),
})
  .transform((env) => {
    const retryDefaults: RetryPolicyInput = {
      ...(env.HERALD_RETRY_SCHEDULE ? { strategy: 'schedule' as const, delaysMs: env.HERALD_RETRY_SCHEDULE } : {}),
      ...(env.HERALD_RETRY_MAX_RETRIES === undefined ? {} : { maxRetries: env.HERALD_RETRY_MAX_RETRIES }),
      ...(env.HERALD_RETRY_INITIAL_DELAY === undefined ? {} : { initialDelayMs: env.HERALD_RETRY_INITIAL_DELAY }),
      ...(env.HERALD_RETRY_MULTIPLIER === undefined ? {} : { backoffMultiplier: env.HERALD_RETRY_MULTIPLIER }),
      ...(env.HERALD_RETRY_MAX_DELAY === undefined ? {} : { maxDelayMs: env.HERALD_RETRY_MAX_DELAY }),
      ...(env.HERALD_RETRY_JITTER === undefined ? {} : { jitter: env.HERALD_RETRY_JITTER }),
    };
    return { ...env, retryDefaults };
  })
  .superRefine((env, ctx) => {
    checkRedisSettings(env, ctx);
    checkEncryptionKeys(env, ctx);
    const result = retryPolicySchema.safeParse(env.retryDefaults, { error: plainMessages });
    if (!result.success) {
      ctx.addIssue({ code: 'custom', path: ['HERALD_RETRY_*'], message: `do not make a valid retry policy: ${result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}` });
    }
  });
export type ApiEnv = z.output<typeof apiEnvSchema>;

export function loadApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return loadEnvOrExit(apiEnvSchema, env);
}
