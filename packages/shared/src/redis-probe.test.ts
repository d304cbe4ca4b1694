import { ReplyError } from 'ioredis';
import { describeRedisFailure } from './redis-probe';
import { RedisUnreachableError } from './errors/redis-unreachable-error';

const systemError = (code: string, address = '10.0.0.5', port = 6380) => Object.assign(new Error(`connect ${code} ${address}:${port}`), { code, address, port });
const base = { timedOut: false, timeoutMs: 1000, address: 'redis.internal:6379' };

describe('why Redis is not usable, in words', () => {
  it('names a refusal with the address the connection tried', () => {
    const described = describeRedisFailure({ ...base, error: new Error("Stream isn't writeable and enableOfflineQueue options is false"), connectionError: systemError('ECONNREFUSED') });
    expect(described).toBeInstanceOf(RedisUnreachableError);
    expect([described.reason, described.message]).toEqual(['refused', 'Redis refused the connection at 10.0.0.5:6380']);
  });

  it('names a ping that waited out its deadline, and a connection that timed out', () => {
    expect(describeRedisFailure({ ...base, timedOut: true }).message).toBe('Redis did not answer within 1000 ms at redis.internal:6379');
    expect(describeRedisFailure({ ...base, timedOut: true, connectionError: systemError('ETIMEDOUT') }).message).toBe('Redis did not accept the connection in time at 10.0.0.5:6380');
  });

  it('names a host that does not resolve, a reset, refused credentials, and a connection not (yet) made', () => {
    expect(describeRedisFailure({ ...base, connectionError: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }) }).message).toBe("Redis's host could not be found: redis.internal:6379");
    expect(describeRedisFailure({ ...base, connectionError: systemError('ECONNRESET') }).reason).toBe('closed');
    expect(describeRedisFailure({ ...base, connectionError: new ReplyError('WRONGPASS invalid username-password pair') }).message).toBe("Redis at redis.internal:6379 refused Herald's credentials (WRONGPASS)");
    expect(describeRedisFailure({ ...base, error: new Error("Stream isn't writeable and enableOfflineQueue options is false") }).message).toBe(
      'Herald is not connected to Redis at redis.internal:6379',
    );
    expect(describeRedisFailure({ ...base, error: new ReplyError('LOADING Redis is loading the dataset in memory') }).message).toBe(
      'Redis at redis.internal:6379 answered: LOADING Redis is loading the dataset in memory',
    );
  });
});
