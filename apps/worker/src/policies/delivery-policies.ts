// Per-webhook rate limits and circuit breakers, shared by all workers through Redis: the admission
// of a queued delivery (lua/admit-delivery-2.lua) and the tokens taken for deliveries going
// straight from the stream (lua/take-tokens-1.lua).
import { join } from 'node:path';
import {
  LuaScript,
  circuitSettings,
  type CircuitDefaults,
  type CircuitSettings,
  type RedisClient,
  type RedisKeys,
  type Webhook,
} from '@herald/shared';

const ADMIT_DELIVERY = new LuaScript(join(__dirname, 'admit-delivery-2.lua'));
const TAKE_TOKENS = new LuaScript(join(__dirname, 'take-tokens-1.lua'));

export interface PolicyDefaults extends CircuitDefaults {
  /** How long a half-open probe holds its turn before another delivery may probe (at least the webhook's timeout + 1 s). */
  probeLeaseMs: number;
  /** Deliveries a webhook may have parked, for webhooks without their own `maxBacklog`. */
  maxBacklog: number;
}

export type Admission =
  /** Send now (after `waitMs` when a token was reserved ahead). */
  | { verdict: 'ok'; waitMs: number; becameHalfOpen: boolean }
  | { verdict: 'circuit' | 'rate'; waitMs: number; becameHalfOpen: false };

/** A token is reserved ahead (and the delivery sleeps in the worker) only for waits up to this. */
export const MAX_RESERVED_WAIT_MS = 250;

function bucketOf(webhook: Pick<Webhook, 'rateLimit'>): { rate: number; burst: number } | undefined {
  const limit = webhook.rateLimit;
  return limit ? { rate: limit.perSecond, burst: limit.burst ?? Math.max(1, Math.ceil(limit.perSecond)) } : undefined;
}

export class DeliveryPolicies {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly defaults: PolicyDefaults,
  ) {}

  circuit(webhook: Pick<Webhook, 'circuitBreaker'>): CircuitSettings {
    return circuitSettings(webhook, this.defaults);
  }

  /** How many of its deliveries a webhook may have parked. */
  maxBacklog(webhook: Pick<Webhook, 'maxBacklog'>): number {
    return webhook.maxBacklog ?? this.defaults.maxBacklog;
  }

  /** How long a probe holds its turn for this webhook. */
  private probeLeaseMs(webhook: Pick<Webhook, 'timeoutMs'>): number {
    return Math.max(this.defaults.probeLeaseMs, webhook.timeoutMs + 1000);
  }

  /**
   * Whether a queued delivery to this webhook needs admitting at all (one round trip when it does);
   * `rate: false` when its rate-limit token was taken already.
   */
  applies(webhook: Webhook, { rate = true }: { rate?: boolean } = {}): boolean {
    return (rate && webhook.rateLimit !== undefined) || this.circuit(webhook).enabled;
  }

  /** May this queued delivery go now? `deliveryToken` is its job id (the probe's identity when half-open). */
  async admit(webhook: Webhook, deliveryToken: string, { rate = true }: { rate?: boolean } = {}): Promise<Admission> {
    const bucket = rate ? bucketOf(webhook) : undefined;
    const [verdict, waitMs, transition] = (await ADMIT_DELIVERY.run(
      this.redis,
      [this.keys.circuit(webhook.id), this.keys.rateLimit(webhook.id)],
      [
        bucket?.rate ?? 0,
        bucket?.burst ?? 1,
        this.circuit(webhook).enabled ? 1 : 0,
        deliveryToken,
        this.probeLeaseMs(webhook),
        MAX_RESERVED_WAIT_MS,
      ],
    )) as [string, number, string];
    if (verdict === 'ok' || verdict === 'reserved') return { verdict: 'ok', waitMs: Number(waitMs), becameHalfOpen: transition === 'half_open' };
    return { verdict: verdict === 'rate' ? 'rate' : 'circuit', waitMs: Number(waitMs), becameHalfOpen: false };
  }

  /**
   * Takes up to `wanted` tokens of a rate-limited webhook's bucket at once: how many it got, and
   * (when fewer) how long until the bucket has one again. A webhook without a rate limit gets all.
   */
  async takeTokens(webhook: Webhook, wanted: number): Promise<{ granted: number; waitMs: number }> {
    const bucket = bucketOf(webhook);
    if (!bucket) return { granted: wanted, waitMs: 0 };
    const [granted, waitMs] = (await TAKE_TOKENS.run(this.redis, [this.keys.rateLimit(webhook.id)], [bucket.rate, bucket.burst, wanted])) as [
      number,
      number,
    ];
    return { granted: Number(granted), waitMs: Number(waitMs) };
  }
}
