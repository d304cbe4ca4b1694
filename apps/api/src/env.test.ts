import { parseEnv } from '@herald/shared';
import { apiEnvSchema } from './env';

const base = { HERALD_ADMIN_TOKEN: 'x'.repeat(20) };

describe('API environment', () => {
  it('turns HERALD_RETRY_* into the retry defaults of new webhooks', () => {
    const env = parseEnv(apiEnvSchema, { ...base, HERALD_RETRY_SCHEDULE: '1m, 5m,15m,1h,6h', HERALD_RETRY_JITTER: '0' });
    expect(env.retryDefaults).toEqual({ strategy: 'schedule', delaysMs: [60_000, 300_000, 900_000, 3_600_000, 21_600_000], jitter: 0 });
    const exponential = parseEnv(apiEnvSchema, { ...base, HERALD_RETRY_MAX_RETRIES: '6', HERALD_RETRY_INITIAL_DELAY: '30s', HERALD_RETRY_MAX_DELAY: '2000' });
    expect(exponential.retryDefaults).toEqual({ maxRetries: 6, initialDelayMs: 30_000, maxDelayMs: 2000 });
  });

  it('names the variable when a retry default is bad', () => {
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_RETRY_SCHEDULE: '1m,soon' })).toThrow(/HERALD_RETRY_SCHEDULE: must be up to 10/);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_RETRY_MAX_RETRIES: '11' })).toThrow(/HERALD_RETRY_MAX_RETRIES: must be at most 10/);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_RETRY_INITIAL_DELAY: 'fast' })).toThrow(/HERALD_RETRY_INITIAL_DELAY/);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_RETRY_MULTIPLIER: '50' })).toThrow(/HERALD_RETRY_MULTIPLIER: must be at most 10 \(got "50"\)/);
  });

  it('keeps idle connections 65 s by default (above the usual 60 s of a load balancer), and names a bad value', () => {
    expect(parseEnv(apiEnvSchema, base).HERALD_HTTP_KEEPALIVE_TIMEOUT_MS).toBe(65_000);
    expect(parseEnv(apiEnvSchema, { ...base, HERALD_HTTP_KEEPALIVE_TIMEOUT_MS: '120000' }).HERALD_HTTP_KEEPALIVE_TIMEOUT_MS).toBe(120_000);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_HTTP_KEEPALIVE_TIMEOUT_MS: 'forever' })).toThrow(/HERALD_HTTP_KEEPALIVE_TIMEOUT_MS/);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_HTTP_KEEPALIVE_TIMEOUT_MS: '10' })).toThrow(/HERALD_HTTP_KEEPALIVE_TIMEOUT_MS: must be at least 1000/);
  });

  it('reads tenant tokens as tenant:token pairs and refuses malformed ones', () => {
    const env = parseEnv(apiEnvSchema, { ...base, HERALD_TENANT_TOKENS: 'acme:aaaaaaaaaaaaaaaa1, globex:bbbbbbbbbbbbbbbb2' });
    expect([...env.HERALD_TENANT_TOKENS.values()]).toEqual(['acme', 'globex']);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_TENANT_TOKENS: 'acme:short' })).toThrow(/HERALD_TENANT_TOKENS: must be comma-separated/);
    expect(() => parseEnv(apiEnvSchema, { ...base, HERALD_TENANT_TOKENS: 'acme:short' })).not.toThrow(/short/);
  });
});
