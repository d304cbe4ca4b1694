import { z } from 'zod';
import { ConfigError } from '../errors/config-error';
import { checkRedisSettings, commonEnvShape, envInt, envPort, parseEnv, partitionCountFromEnv } from './env';

const schema = z.object({
  ...commonEnvShape,
  PORT: envPort.default(8080),
  CONCURRENCY: envInt(1, 100).default(10),
  ADMIN_TOKEN: z.string({ error: 'is required' }).min(16, 'must be at least 16 characters'),
});

describe('parseEnv', () => {
  it('applies defaults and coerces numbers and booleans', () => {
    const env = parseEnv(schema, { ADMIN_TOKEN: 'x'.repeat(16), CONCURRENCY: '7', HERALD_ALLOW_PRIVATE_TARGETS: 'true' });
    expect(env).toMatchObject({
      PORT: 8080,
      CONCURRENCY: 7,
      HERALD_PREFIX: 'herald',
      REDIS_URL: 'redis://127.0.0.1:6379',
      HERALD_ALLOW_PRIVATE_TARGETS: true,
      LOG_LEVEL: 'info',
    });
  });

  it('names every bad variable and why, without echoing secrets', () => {
    let error: unknown;
    try {
      parseEnv(schema, { ADMIN_TOKEN: 'short-secret', PORT: 'eighty', CONCURRENCY: '0', HERALD_PREFIX: 'a:b', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT: must be a whole number \(got "eighty"\)/);
    expect(message).toMatch(/CONCURRENCY: must be at least 1/);
    expect(message).toMatch(/HERALD_PREFIX: .*not ":"/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).toMatch(/ADMIN_TOKEN: must be at least 16 characters \(value hidden\)/);
    expect(message).not.toContain('short-secret');
  });

  it('says when a required variable is missing', () => {
    expect(() => parseEnv(schema, {})).toThrow(/ADMIN_TOKEN: is required \(it is not set\)/);
  });
});

describe('partitions', () => {
  const redisSchema = z.object(commonEnvShape).superRefine(checkRedisSettings);

  it.each([
    [{}, 1],
    [{ HERALD_REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a:7000,redis://b:7000' }, 16],
    [{ HERALD_REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a:7000', HERALD_PREFIX: '{herald}' }, 1],
    [{ HERALD_REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a:7000', HERALD_PARTITIONS: '6' }, 6],
    [{ HERALD_PARTITIONS: '3' }, 3],
  ])('with %j the installation has %d partitions', (vars, count) => {
    expect(partitionCountFromEnv(parseEnv(redisSchema, vars))).toBe(count);
  });

  it('refuses a tagged prefix with several partitions, naming the variable', () => {
    expect(() => parseEnv(redisSchema, { HERALD_PREFIX: '{herald}', HERALD_PARTITIONS: '4' })).toThrow(/HERALD_PREFIX: must be plain/);
  });
});
