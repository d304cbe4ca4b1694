// Reads configuration from the environment with zod: one parse, clear errors naming the variable.
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors/config-error';
import { plainMessages } from '../schemas/common';
import type { RedisTarget } from '../redis-client';
import { EMPTY_HOST_LIST, parseHostList, type HostList } from '../host-list';
import { ENCRYPTION_KEY_BYTES, SecretBox } from '../crypto/secret-box';

const SENSITIVE = /TOKEN|SECRET|PASSWORD|REDIS_URL|KEY|PROXY/;

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

/** A comma-separated list of hosts, .domains, addresses and CIDR blocks (empty when unset). */
export const envHostList = z
  .string()
  .optional()
  .transform((text, ctx): HostList => {
    if (!text) return EMPTY_HOST_LIST;
    try {
      return parseHostList(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** A key for secrets at rest: 32 bytes as base64 (`openssl rand -base64 32`). */
export const envEncryptionKey = z
  .string()
  .optional()
  .transform((text, ctx): Buffer | undefined => {
    if (!text) return undefined;
    const bytes = Buffer.from(text, 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text.trim()) || bytes.length !== ENCRYPTION_KEY_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be ${ENCRYPTION_KEY_BYTES} bytes as base64 (openssl rand -base64 32)` });
      return z.NEVER;
    }
    return bytes;
  });

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
  /** Hosts, .domains, addresses and CIDR blocks reachable even when not public; metadata services only when named by themselves. */
  HERALD_ALLOWED_PRIVATE_TARGETS: envHostList,
  NODE_ENV: z.string().default('development'),
  /** Encrypts every stored secret (AES-256-GCM); unset, secrets are stored as they are. */
  HERALD_ENCRYPTION_KEY: envEncryptionKey,
  /** The key before HERALD_ENCRYPTION_KEY: still opens what it sealed until `herald secrets reencrypt` has run. */
  HERALD_ENCRYPTION_KEY_PREVIOUS: envEncryptionKey,
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

/**
 * HERALD_ENCRYPTION_KEY_PREVIOUS without HERALD_ENCRYPTION_KEY would leave new secrets in plain
 * text while old ones stay encrypted: refused. Add to an app's schema with superRefine.
 */
export function checkEncryptionKeys(env: { HERALD_ENCRYPTION_KEY?: Buffer | undefined; HERALD_ENCRYPTION_KEY_PREVIOUS?: Buffer | undefined }, ctx: z.RefinementCtx): void {
  if (env.HERALD_ENCRYPTION_KEY_PREVIOUS && !env.HERALD_ENCRYPTION_KEY) {
    ctx.addIssue({ code: 'custom', path: ['HERALD_ENCRYPTION_KEY'], message: 'is required when HERALD_ENCRYPTION_KEY_PREVIOUS is set' });
  }
}

/** The SecretBox the environment's keys make. */
export function secretBoxFromEnv(env: { HERALD_ENCRYPTION_KEY?: Buffer | undefined; HERALD_ENCRYPTION_KEY_PREVIOUS?: Buffer | undefined }): SecretBox {
  return new SecretBox({ current: env.HERALD_ENCRYPTION_KEY, previous: env.HERALD_ENCRYPTION_KEY_PREVIOUS });
}

/** The Redis target named by the environment. */
export function redisTargetFromEnv(env: { REDIS_URL: string; HERALD_REDIS_CLUSTER: boolean }): RedisTarget {
  return { url: env.REDIS_URL, cluster: env.HERALD_REDIS_CLUSTER };
}
