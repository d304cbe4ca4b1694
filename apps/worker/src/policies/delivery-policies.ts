// Per-webhook rate limits and circuit breakers, shared by all workers through Redis (Lua scripts).
import { join } from 'node:path';
import { callLua, defineLuaCommands, type RedisKeys, type Webhook, type RedisClient } from '@herald/shared';

export interface CircuitDefaults {
  failureThreshold: number;
  cooldownMs: number;
  /** A webhook failing continuously this long is disabled. */
  disableAfterMs: number;
  /** How long a half-open probe holds its turn before another delivery may probe. */
  probeLeaseMs: number;
}

export type Admission =
  /** Send now (after `waitMs` when a token was reserved ahead). */
  | { verdict: 'ok'; waitMs: number; becameHalfOpen: boolean }
  | { verdict: 'circuit' | 'rate'; waitMs: number; becameHalfOpen: false };

/** A token is reserved ahead (and the delivery sleeps in the worker) only for waits up to this. */
export const MAX_RESERVED_WAIT_MS = 250;

/** What one attempt says about the endpoint: it answered, it failed, or nothing (never reached). */
export type CircuitEffect = 'success' | 'failure' | 'neutral';

export interface CircuitChange {
  transition: 'opened' | 'closed' | '';
  /** The webhook has failed continuously for longer than allowed. */
  disable: boolean;
}


export class DeliveryPolicies {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly defaults: CircuitDefaults,
  ) {
    defineLuaCommands(redis, join(__dirname, '..', 'lua'), {
      heraldAdmitDelivery: 'admit-delivery-2.lua',
    });
  }

  private circuit(webhook: Webhook) {
    const own = webhook.circuitBreaker ?? {};
    return {
      enabled: own.enabled ?? true,
      failureThreshold: own.failureThreshold ?? this.defaults.failureThreshold,
      cooldownMs: own.cooldownMs ?? this.defaults.cooldownMs,
    };
  }

  /** Whether a delivery to this webhook needs admitting at all (costs one round trip when it does). */
  applies(webhook: Webhook): boolean {
    return webhook.rateLimit !== undefined || this.circuit(webhook).enabled;
  }

  async admit(webhook: Webhook, deliveryToken: string): Promise<Admission> {
    const rate = webhook.rateLimit;
    const burst = rate ? (rate.burst ?? Math.max(1, Math.ceil(rate.perSecond))) : 1;
    const [verdict, waitMs, transition] = (await callLua(
      this.redis,
      'heraldAdmitDelivery',
      [this.keys.circuit(webhook.id), this.keys.rateLimit(webhook.id)],
      [
      rate?.perSecond ?? 0,
      burst,
      this.circuit(webhook).enabled ? 1 : 0,
      deliveryToken,
      Math.max(this.defaults.probeLeaseMs, webhook.timeoutMs + 1000),
      MAX_RESERVED_WAIT_MS,
      ],
    )) as [string, number, string];
    if (verdict === 'ok' || verdict === 'reserved') return { verdict: 'ok', waitMs: Number(waitMs), becameHalfOpen: transition === 'half_open' };
    return { verdict: verdict === 'rate' ? 'rate' : 'circuit', waitMs: Number(waitMs), becameHalfOpen: false };
  }

  /**
   * The circuit arguments of the attempt-recording script (record-attempt-10.lua, ARGV[11..17]):
   * they record an attempt's effect on the circuit (when the breaker is on) and on the failure
   * streak (always: a webhook failing continuously is disabled either way). A `neutral` attempt
   * (the target was refused, the body could not be built) says nothing about the endpoint; if it
   * was the half-open probe, it gives the probe's turn back at once.
   */
  circuitArgs(webhook: Webhook, effect: CircuitEffect, deliveryToken: string): (string | number)[] {
    const circuit = this.circuit(webhook);
    return [
      effect,
      circuit.failureThreshold,
      circuit.cooldownMs,
      this.defaults.disableAfterMs,
      webhook.id,
      circuit.enabled ? 1 : 0,
      deliveryToken,
    ];
  }

  static readChange(reply: unknown): CircuitChange {
    const [transition, disable] = (reply ?? ['', 0]) as [string, number];
    return { transition: transition === 'opened' || transition === 'closed' ? transition : '', disable: Number(disable) === 1 };
  }
}
