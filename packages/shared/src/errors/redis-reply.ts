import { ReplyError } from 'ioredis';

/**
 * The code Redis opens an error reply with (`NOGROUP`, `BUSYGROUP`, `WRONGTYPE`, …), when `error`
 * is an error reply: Redis's own machine-readable code, not free text.
 */
export function redisReplyCode(error: unknown): string | undefined {
  return error instanceof ReplyError ? /^[A-Z]+(?= )/.exec((error as Error).message)?.[0] : undefined;
}
