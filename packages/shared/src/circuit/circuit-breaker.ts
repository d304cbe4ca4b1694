// A webhook's circuit breaker: its settings, its state in Redis, and what may be done to it from
// outside the delivery scripts. The transitions themselves run inside Redis (circuit.lua, included
// by the worker's admission and recording scripts), so that every worker sees one circuit.
import type { ChainableCommander } from 'ioredis';
import type { RedisKeys } from '../keys';
import type { RedisClient } from '../redis-client';
import type { Webhook } from '../schemas/webhook';
import { execOrThrow } from '../redis';

/**
 * Besides its streak of failures, a circuit opens only when at least this share of the attempts in
 * the last CIRCUIT_WINDOW_MS failed: an endpoint that fails now and then at random never opens it
 * (a streak alone would, by chance, every so often), one that went down does.
 */
export const CIRCUIT_FAILURE_RATIO = 0.5;
export const CIRCUIT_WINDOW_MS = 10_000;
/** The fields that make a circuit open or half-open; the rest is the failure streak and window. */
const OPEN_STATE_FIELDS = ['state', 'openedAt', 'openUntil', 'probe', 'probeUntil'] as const;

/**
 * A circuit as operators see it: closed; open since `openedAt`, a probe allowed from `nextProbeAt`
 * (which may have passed: the next delivery to come is the probe); or half-open, a probe out.
 */
export type CircuitStatus =
  | { state: 'closed' }
  | { state: 'open'; openedAt: string; nextProbeAt: string }
  | { state: 'half_open'; openedAt: string };

/** What one attempt says about the endpoint: it answered, it failed, or nothing (never reached). */
export type CircuitEffect = 'success' | 'failure' | 'neutral';

/** What recording some attempts did to a webhook's circuit, in order, and whether to disable it. */
export interface CircuitChanges {
  transitions: ('opened' | 'closed')[];
  /** The webhook has failed continuously for longer than allowed: it should be disabled. */
  disable: boolean;
}

/** Worker-wide settings, for the webhooks that do not set their own. */
export interface CircuitDefaults {
  failureThreshold: number;
  cooldownMs: number;
}

/** One webhook's breaker settings, its own over the defaults. */
export interface CircuitSettings {
  enabled: boolean;
  /** Failures in a row that open the circuit… */
  failureThreshold: number;
  /** …when this share of the window's attempts failed too. */
  failureRatio: number;
  windowMs: number;
  cooldownMs: number;
}

export function circuitSettings(webhook: Pick<Webhook, 'circuitBreaker'>, defaults: CircuitDefaults): CircuitSettings {
  const own = webhook.circuitBreaker ?? {};
  return {
    enabled: own.enabled ?? true,
    failureThreshold: own.failureThreshold ?? defaults.failureThreshold,
    failureRatio: CIRCUIT_FAILURE_RATIO,
    windowMs: CIRCUIT_WINDOW_MS,
    cooldownMs: own.cooldownMs ?? defaults.cooldownMs,
  };
}

/** The fields a circuit's status is read from, in the order statusOf takes them. */
const STATUS_FIELDS = ['state', 'openedAt', 'openUntil'] as const;

function statusOf([state, openedAt, openUntil]: (string | null | undefined)[]): CircuitStatus {
  const iso = (ms: string | null | undefined) => new Date(Number(ms ?? 0)).toISOString();
  if (state === 'open') return { state, openedAt: iso(openedAt), nextProbeAt: iso(openUntil) };
  if (state === 'half_open') return { state, openedAt: iso(openedAt) };
  return { state: 'closed' };
}

/** Reads what a recording script returns for one webhook: comma-joined transitions, and 1/0 to disable. */
export function readCircuitChanges(transitions: unknown, disable: unknown): CircuitChanges {
  return {
    transitions: String(transitions ?? '').split(',').filter((t): t is 'opened' | 'closed' => t === 'opened' || t === 'closed'),
    disable: Number(disable) === 1,
  };
}

export class CircuitBreaker {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Ids of the webhooks whose circuit is open or half-open now. */
  async openWebhookIds(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.openCircuits));
  }

  /** How many circuits are open or half-open. */
  openCount(): Promise<number> {
    return this.redis.scard(this.keys.openCircuits);
  }

  /** One webhook's circuit now. */
  async status(webhookId: string): Promise<CircuitStatus> {
    return statusOf(await this.redis.hmget(this.keys.circuit(webhookId), ...STATUS_FIELDS));
  }

  /**
   * Several webhooks' circuits, by id: only those in the open set are read (a healthy installation
   * reads one set, however many webhooks it lists).
   */
  async statuses(webhookIds: readonly string[]): Promise<Map<string, CircuitStatus>> {
    const open = await this.openWebhookIds();
    const read = webhookIds.filter((id) => open.has(id));
    const pipeline = this.redis.pipeline();
    for (const id of read) pipeline.hmget(this.keys.circuit(id), ...STATUS_FIELDS);
    const replies = read.length > 0 ? ((await execOrThrow(pipeline)) as (string | null)[][]) : [];
    const statuses = new Map<string, CircuitStatus>(webhookIds.map((id) => [id, { state: 'closed' }]));
    replies.forEach((fields, i) => statuses.set(read[i] as string, statusOf(fields)));
    return statuses;
  }

  /**
   * Queues what closes a circuit by decree on `transaction`: a webhook switched back on starts
   * afresh (`keepStreak: false`); one whose breaker is switched off keeps its failure streak, since
   * a webhook failing continuously is disabled whether or not it has a breaker.
   */
  queueForget(transaction: ChainableCommander, webhookId: string, { keepStreak }: { keepStreak: boolean }): ChainableCommander {
    const key = this.keys.circuit(webhookId);
    const cleared = keepStreak ? transaction.hdel(key, ...OPEN_STATE_FIELDS) : transaction.del(key);
    return cleared.srem(this.keys.openCircuits, webhookId);
  }
}
