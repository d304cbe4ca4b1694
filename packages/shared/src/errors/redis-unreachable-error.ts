import { AppError } from './app-error';

/** Why Redis could not be used: `refused`, `timeout`, … (the message says it in words). */
export type RedisUnreachableReason = 'refused' | 'timeout' | 'not_found' | 'unreachable' | 'closed' | 'auth' | 'other';

/** Redis did not answer a readiness check; the message says why and where, for an operator. */
export class RedisUnreachableError extends AppError {
  constructor(
    readonly reason: RedisUnreachableReason,
    readonly address: string,
    message: string,
  ) {
    super('redis_unreachable', message, { reason, address });
  }
}
