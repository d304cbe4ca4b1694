// Reads configuration from the environment with zod: one parse, clear errors naming the variable.
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors/config-error';
import { plainMessages } from '../schemas/common';
import type { RedisTarget } from '../redis-client';

const SENSITIVE = /TOKEN|SECRET|PASSWORD|REDIS_URL/;

function describeValue(variable: string, value: unknown): string {
  if (value === undefined) return 'it is not set';
  if (SENSITIVE.test(variable)) return 'value hidden';
  return `got ${JSON.stringify(value)}`;
}

/**
 * Parses `env` with `schema` (whose keys are variable names). On failure throws a ConfigError
 * that names every bad variable and why; secrets are never echoed.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env, { error: plainMessages });
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const value = issue.path[0] === undefined ? undefined : env[String(issue.path[0])];
    return { variable, problem: `${issue.message} (${describeValue(variable, value)})` };
  });
  throw new ConfigError(problems);
}

/** Loads config at process start: on a bad value prints which and why, and exits 1. */
export function loadEnvOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

// Building blocks for the apps' env.ts files.

export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((text) => text === 'true' || text === '1' || text === 'yes');

export function envInt(min: number, max: number) {
  return z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
}

export const envPort = envInt(0, 65_535);

export const redisUrlSchema = z
  .string()
  .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
  .default('redis://127.0.0.1:6379');

export const prefixSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.{}-]+$/, 'may hold letters, digits, "_", ".", "-" and "{…}" hash tags, but not ":"')
  .default('herald');

export const logLevelSchema = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** Variables both the API and the worker read. */
export const commonEnvShape = {
  REDIS_URL: redisUrlSchema,
  /** REDIS_URL names a Redis Cluster (one or more comma-separated seed node URLs). */
  HERALD_REDIS_CLUSTER: envBoolean.default(false),
  HERALD_PREFIX: prefixSchema,
  /**
   * Partitions the installation's keys are spread over (fixed when it is created): unset, 1 on
   * one Redis, 16 on Redis Cluster with a plain prefix (see partitionCountFromEnv).
   */
  HERALD_PARTITIONS: envInt(1, 1024).optional(),
  LOG_LEVEL: logLevelSchema,
  /** Unset: allowed outside production, refused in production (docs/reference.md, "Target safety"). */
  HERALD_ALLOW_PRIVATE_TARGETS: envBoolean.optional(),
  NODE_ENV: z.string().default('development'),
  /** How often queue depths, dead letters, stream pending and open circuits are read for /metrics, in ms. */
  HERALD_METRICS_INTERVAL_MS: envInt(250, 300_000).default(5000),
  /** How long a producer's idempotency key is remembered, in seconds (the API and fan-out both check keys). */
  HERALD_IDEMPOTENCY_TTL_SECONDS: envInt(1, 30 * 86_400).default(86_400),
  /** Approximate cap on the events stream (XADD MAXLEN ~), for the API and for Herald's own events. */
  HERALD_STREAM_MAXLEN: envInt(1000, 1_000_000_000).default(1_000_000),
  /**
   * How long SIGTERM waits for work in flight (a worker's deliveries, the API's requests) before
   * the process exits anyway, with status 1.
   */
  HERALD_SHUTDOWN_TIMEOUT_MS: envInt(0, 600_000).default(30_000),
};

/**
 * Checks that hold across variables of `commonEnvShape`; add to an app's schema with superRefine.
 * On Redis Cluster every script's keys must share a hash slot: Herald gives each partition's keys
 * the tag `{<prefix>-pNN}` and the installation-wide ones `{<prefix>}`, so the prefix itself must be
 * plain; a prefix that holds a `{hash tag}` keeps every key in that one slot (one partition), as
 * Herald did before partitions. Every seed must be a Redis URL.
 */
export function checkRedisSettings(
  env: { REDIS_URL: string; HERALD_REDIS_CLUSTER: boolean; HERALD_PREFIX: string; HERALD_PARTITIONS?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  const tagged = /\{[^}]*\}/.test(env.HERALD_PREFIX);
  if (tagged && (env.HERALD_PARTITIONS ?? 1) > 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['HERALD_PREFIX'],
      message: `must be plain (no {hash tag}) with HERALD_PARTITIONS > 1: Herald tags each partition's keys itself (got ${JSON.stringify(env.HERALD_PREFIX)})`,
    });
  }
  if (!env.HERALD_REDIS_CLUSTER) return;
  if (/[{}]/.test(env.HERALD_PREFIX) && !tagged) {
    ctx.addIssue({ code: 'custom', path: ['HERALD_PREFIX'], message: `holds an unbalanced "{" or "}" (got ${JSON.stringify(env.HERALD_PREFIX)})` });
  }
  if (!env.REDIS_URL.split(',').every((seed) => /^rediss?:\/\/[^,\s]+$/.test(seed.trim()))) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'must be comma-separated redis:// or rediss:// seed URLs when HERALD_REDIS_CLUSTER=true' });
  }
}

/**
 * The number of partitions: HERALD_PARTITIONS when set; else 16 on Redis Cluster with a plain
 * prefix, and 1 otherwise (one Redis, or a cluster prefix with a `{hash tag}`: one slot).
 */
export function partitionCountFromEnv(env: { HERALD_REDIS_CLUSTER: boolean; HERALD_PREFIX: string; HERALD_PARTITIONS?: number | undefined }): number {
  if (env.HERALD_PARTITIONS !== undefined) return env.HERALD_PARTITIONS;
  return env.HERALD_REDIS_CLUSTER && !/\{[^}]*\}/.test(env.HERALD_PREFIX) ? DEFAULT_CLUSTER_PARTITIONS : 1;
}

/** Partitions on Redis Cluster unless HERALD_PARTITIONS says otherwise: two to three per master up to six masters or so. */
export const DEFAULT_CLUSTER_PARTITIONS = 16;

/** The Redis target named by the environment. */
export function redisTargetFromEnv(env: { REDIS_URL: string; HERALD_REDIS_CLUSTER: boolean }): RedisTarget {
  return { url: env.REDIS_URL, cluster: env.HERALD_REDIS_CLUSTER };
}
