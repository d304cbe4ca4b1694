import { z } from 'zod';
import { checkEncryptionKeys, checkRedisSettings, commonEnvShape, envDurationMsSchema, envHostList, envInt, envPort, loadEnvOrExit } from '@herald/shared';

/**
 * Share of a worker's delivery slots one webhook may hold when it sets no `maxInFlight`: half, so that
 * one busy endpoint still gets enough requests in flight to be fast (at a fifth, a single endpoint
 * got 0.75–0.9 of what it gets at half), while a hanging one leaves the other half to the rest.
 */
const DEFAULT_WEBHOOK_SHARE = 0.5;

export const workerEnvSchema = z
  .object({
    ...commonEnvShape,
    /** Port of the worker's /metrics, /healthz and /readyz (0 picks a free one). */
    HERALD_METRICS_PORT: envPort.default(9464),
    HERALD_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    /** Deliveries in flight at once in this process, straight from the stream and from the queue together. */
    HERALD_WORKER_CONCURRENCY: envInt(1, 10_000).default(50),
    /**
     * Deliveries in flight to one webhook at once in this process, for webhooks without their own
     * `maxInFlight`. Default: half of HERALD_WORKER_CONCURRENCY (at least 1), so that one slow or
     * hanging endpoint cannot take every slot.
     */
    HERALD_WEBHOOK_MAX_IN_FLIGHT: envInt(1, 10_000).optional(),
    /**
     * How long a delivery may wait in the worker for its webhook's in-flight slot before it is put
     * in the queue instead (delayed, no attempt spent), in ms.
     */
    HERALD_SLOT_WAIT_MS: envInt(0, 60_000).default(250),
    /**
     * FIFO webhooks with their own label on herald_fifo_backlog and herald_fifo_head_age_seconds
     * (those with the most deliveries waiting); the others share webhook="_other".
     */
    HERALD_FIFO_METRIC_WEBHOOKS: envInt(0, 10_000).default(50),
    /** Most stream entries read at once. */
    HERALD_FANOUT_BATCH: envInt(1, 10_000).default(100),
    /** Entries pending this long with another consumer (presumed dead) are claimed, in ms. */
    HERALD_CLAIM_IDLE_MS: envInt(100, 3_600_000).default(30_000),
    /** How long a delivery job's lock lasts without renewal; a dead worker's jobs restart after it, in ms. */
    HERALD_JOB_LOCK_MS: envInt(1000, 600_000).default(30_000),
    /** How stale the worker's copy of the webhooks may be for queued deliveries, in ms (fan-out always checks). */
    HERALD_WEBHOOK_CACHE_MS: envInt(0, 60_000).default(250),
    /**
     * Whole webhook documents a worker keeps (those delivered to most recently; the others are read
     * when a delivery needs them). Every webhook's route — what matching events needs — is kept in
     * any case, at a few hundred bytes each.
     */
    HERALD_WEBHOOK_DOCUMENTS_KEPT: envInt(1, 1_000_000).default(10_000),
    /** Delivery attempts kept per webhook in the attempt log. */
    HERALD_ATTEMPT_LOG_SIZE: envInt(1, 1_000_000).default(10_000),
    /**
     * How long an event's own attempt list (GET /v1/events/:id, a dead letter's attempt log) is
     * kept, from its first attempt; "0" keeps none. It is the largest part of Herald's memory in
     * Redis: about rate × deliveries per event × 0.5 KB × this (see the README's sizing).
     */
    HERALD_EVENT_ATTEMPTS_TTL: envDurationMsSchema.default(3_600_000),
    /** Approximate cap of the stream of entries that were not events (`:events:invalid`). */
    HERALD_INVALID_STREAM_MAXLEN: envInt(1000, 100_000_000).default(100_000),
    /** Circuit breaker defaults for webhooks that do not set their own. */
    HERALD_CIRCUIT_FAILURE_THRESHOLD: envInt(1, 1000).default(5),
    HERALD_CIRCUIT_COOLDOWN_MS: envDurationMsSchema.default(30_000),
    /**
     * How long a half-open circuit's probe holds its turn before another delivery may probe, in ms
     * (at least the webhook's timeout plus a second is used).
     */
    HERALD_CIRCUIT_PROBE_LEASE_MS: envDurationMsSchema.default(15_000),
    /** A webhook failing continuously this long is disabled (with a webhook.disabled event). */
    HERALD_DISABLE_AFTER_FAILING_MS: envDurationMsSchema.default(5 * 86_400_000),
    /** Herald emits rate_limit.exceeded at most once per webhook in this window. */
    HERALD_RATE_LIMIT_EVENT_WINDOW_MS: envDurationMsSchema.default(60_000),
    /**
     * Deliveries a webhook may have parked while its circuit is open, for webhooks without their
     * own `maxBacklog`; past it, new ones are dead-lettered (backlog_full).
     */
    HERALD_MAX_BACKLOG: envInt(1, 1_000_000_000).default(1_000_000),
    /** Herald emits webhook.backlog_full at most once per webhook in this window. */
    HERALD_BACKLOG_EVENT_WINDOW_MS: envDurationMsSchema.default(60_000),
    /**
     * Deliveries (and OAuth2 token requests) go through this HTTP CONNECT proxy:
     * http://[user:password@]host:port. Unset: they connect directly.
     */
    HERALD_EGRESS_PROXY: z
      .string()
      .optional()
      .transform((text, ctx): URL | undefined => {
        if (!text) return undefined;
        let url: URL;
        try {
          url = new URL(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a URL such as http://user:password@proxy.internal:3128' });
          return z.NEVER;
        }
        if (url.protocol !== 'http:' || !url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
          ctx.addIssue({ code: 'custom', message: 'must be http://[user:password@]host:port (an HTTP CONNECT proxy, no path)' });
          return z.NEVER;
        }
        return url;
      }),
    /** Hosts, .domains, addresses and CIDR blocks reached directly, not through HERALD_EGRESS_PROXY. */
    HERALD_NO_PROXY: envHostList,
    /** How long a delivery waits when the egress proxy failed before it goes again (no attempt spent), in ms. */
    HERALD_EGRESS_RETRY_MS: envDurationMsSchema.default(5000),
    /** Herald emits webhook.auth_failed (its OAuth2 token endpoint refused) at most once per webhook in this window. */
    HERALD_AUTH_EVENT_WINDOW_MS: envDurationMsSchema.default(60_000),
  })
  .superRefine((env, ctx) => {
    checkRedisSettings(env, ctx);
    checkEncryptionKeys(env, ctx);
  })
  .transform((env) => ({
    ...env,
    HERALD_WEBHOOK_MAX_IN_FLIGHT:
      env.HERALD_WEBHOOK_MAX_IN_FLIGHT ?? Math.max(1, Math.ceil(env.HERALD_WORKER_CONCURRENCY * DEFAULT_WEBHOOK_SHARE)),
  }));
export type WorkerEnv = z.output<typeof workerEnvSchema>;

export function loadWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return loadEnvOrExit(workerEnvSchema, env);
}
