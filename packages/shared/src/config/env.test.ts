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

  it('reads HERALD_ALLOWED_PRIVATE_TARGETS, and names a bad entry', () => {
    const env = parseEnv(schema, { ADMIN_TOKEN: 'x'.repeat(16), HERALD_ALLOWED_PRIVATE_TARGETS: '10.0.0.0/8, hooks.internal' });
    expect(env.HERALD_ALLOWED_PRIVATE_TARGETS.blocks).toHaveLength(1);
    expect(env.HERALD_ALLOWED_PRIVATE_TARGETS.hosts.has('hooks.internal')).toBe(true);
    expect(() => parseEnv(schema, { ADMIN_TOKEN: 'x'.repeat(16), HERALD_ALLOWED_PRIVATE_TARGETS: '10.0.0.0/99' })).toThrow(
      /HERALD_ALLOWED_PRIVATE_TARGETS: "10.0.0.0\/99" is not a valid CIDR block/,
    );
  });

  it('reads HERALD_ENCRYPTION_KEY as 32 bytes of base64, and refuses anything else without echoing it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(parseEnv(schema, { ADMIN_TOKEN: 'x'.repeat(16), HERALD_ENCRYPTION_KEY: key }).HERALD_ENCRYPTION_KEY).toEqual(Buffer.alloc(32, 7));
    for (const bad of [Buffer.alloc(16, 7).toString('base64'), 'not base64 at all!']) {
      let message = '';
      try {
        parseEnv(schema, { ADMIN_TOKEN: 'x'.repeat(16), HERALD_ENCRYPTION_KEY_PREVIOUS: bad });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/HERALD_ENCRYPTION_KEY_PREVIOUS: must be 32 bytes as base64 .*\(value hidden\)/);
      expect(message).not.toContain(bad);
    }
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
