// Readiness: whether Redis answers now and, when it does not, why and where, in words an operator
// can act on ("Redis refused the connection at 10.0.0.5:6379"), not the client library's state.
import { Cluster } from 'ioredis';
import { RedisUnreachableError, type RedisUnreachableReason } from './errors/redis-unreachable-error';
import { redisReplyCode } from './errors/redis-reply';
import type { RedisClient } from './redis-client';

/** The ping's own deadline passed. */
class PingTimeout extends Error {}

/** What is known when a ping fails: its error, the connection's latest error, and where Redis is. */
export interface RedisFailure {
  /** What the ping threw; a deadline that passed is `timedOut` instead. */
  error?: unknown;
  timedOut: boolean;
  timeoutMs: number;
  /** The last error the connection reported since it was last ready (refused, reset, …). */
  connectionError?: unknown;
  /** Where Redis was expected (`host:port`). */
  address: string;
}

const REASONS: Record<string, RedisUnreachableReason> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'not_found',
  EAI_AGAIN: 'not_found',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ECONNRESET: 'closed',
  EPIPE: 'closed',
};

/** A system error's code (ECONNREFUSED, …), looking inside a cluster's "all nodes failed" error. */
function systemCode(error: unknown): { code?: string; address?: string } {
  const inner = (error as { lastNodeError?: unknown } | undefined)?.lastNodeError ?? error;
  const { code, address, port } = (inner ?? {}) as { code?: unknown; address?: unknown; port?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof address === 'string' && typeof port === 'number' ? { address: `${address}:${port}` } : {}),
  };
}

/** Says why Redis is not usable, from what a failed ping and the connection reported. Pure. */
export function describeRedisFailure(failure: RedisFailure): RedisUnreachableError {
  // The connection's own error says more than a ping that could not be sent or timed out waiting.
  const cause = failure.connectionError ?? failure.error;
  const system = systemCode(cause);
  const at = system.address ?? failure.address;
  const replyCode = redisReplyCode(cause);
  if (replyCode === 'NOAUTH' || replyCode === 'WRONGPASS' || replyCode === 'NOPERM') {
    return new RedisUnreachableError('auth', at, `Redis at ${at} refused Herald's credentials (${replyCode})`);
  }
  const reason = system.code ? REASONS[system.code] : undefined;
  switch (reason ?? (failure.timedOut && failure.connectionError === undefined ? 'timeout' : undefined)) {
    case 'refused':
      return new RedisUnreachableError('refused', at, `Redis refused the connection at ${at}`);
    case 'timeout':
      return system.code === 'ETIMEDOUT'
        ? new RedisUnreachableError('timeout', at, `Redis did not accept the connection in time at ${at}`)
        : new RedisUnreachableError('timeout', at, `Redis did not answer within ${failure.timeoutMs} ms at ${at}`);
    case 'not_found':
      return new RedisUnreachableError('not_found', at, `Redis's host could not be found: ${at}`);
    case 'unreachable':
      return new RedisUnreachableError('unreachable', at, `Redis's host is unreachable from here: ${at}`);
    case 'closed':
      return new RedisUnreachableError('closed', at, `Redis closed the connection at ${at}`);
    default:
      // An error reply (LOADING, MASTERDOWN, …) is Redis's own words; anything else is the client's
      // account of a connection it does not have.
      if (replyCode !== undefined) return new RedisUnreachableError('other', at, `Redis at ${at} answered: ${(cause as Error).message}`);
      return new RedisUnreachableError('closed', at, `Herald is not connected to Redis at ${at}`);
  }
}

/** Where a client expects Redis: `host:port` (a cluster: its nodes, comma-separated). */
function addressOf(redis: RedisClient): string {
  if (redis instanceof Cluster) {
    const nodes = redis.nodes('all').map((node) => `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`);
    return nodes.length > 0 ? nodes.join(', ') : 'the Redis Cluster';
  }
  const { host, port, path } = redis.options;
  return path ?? `${host ?? '127.0.0.1'}:${port ?? 6379}`;
}

/**
 * PINGs Redis for readiness checks. It listens to the connection's errors from its creation, so
 * that a failed check can say why: while the client reconnects, a PING is refused at once (or
 * waits in its queue) without the reason, which only the connection's `error` events carry.
 */
export class RedisProbe {
  private connectionError: unknown;

  constructor(private readonly redis: RedisClient) {
    redis.on('error', (error: unknown) => {
      this.connectionError = error;
    });
    redis.on('ready', () => {
      this.connectionError = undefined;
    });
  }

  /** Resolves when Redis answers PING within `timeoutMs`; else rejects with a RedisUnreachableError saying why. */
  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PingTimeout()), timeoutMs);
    });
    try {
      await Promise.race([this.redis.ping(), deadline]);
    } catch (error) {
      const timedOut = error instanceof PingTimeout;
      throw describeRedisFailure({
        ...(timedOut ? {} : { error }),
        timedOut,
        timeoutMs,
        ...(this.connectionError === undefined ? {} : { connectionError: this.connectionError }),
        address: addressOf(this.redis),
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
