import { ConfigError, parseEnv } from '@herald/shared';
import { workerEnvSchema } from './env';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    parseEnv(workerEnvSchema, env);
    return '';
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe('egress proxy settings', () => {
  it('reads the proxy URL and the hosts reached directly', () => {
    const env = parseEnv(workerEnvSchema, { HERALD_EGRESS_PROXY: 'http://herald:s3cret@proxy.internal:3128', HERALD_NO_PROXY: 'localhost, .corp.example, 10.0.0.0/8' });
    expect(env.HERALD_EGRESS_PROXY?.host).toBe('proxy.internal:3128');
    expect(env.HERALD_NO_PROXY.domains).toEqual(['corp.example']);
    expect(env.HERALD_EGRESS_RETRY_MS).toBe(5000);
  });

  it.each([
    ['not a URL', /HERALD_EGRESS_PROXY: must be a URL/],
    ['https://proxy.internal:3128', /HERALD_EGRESS_PROXY: must be http:\/\/\[user:password@\]host:port/],
    ['http://proxy.internal:3128/path', /HERALD_EGRESS_PROXY: must be http:\/\/\[user:password@\]host:port/],
  ])('refuses HERALD_EGRESS_PROXY=%s, naming it without echoing it', (value, message) => {
    const text = problems({ HERALD_EGRESS_PROXY: value });
    expect(text).toMatch(message);
    expect(text).toContain('value hidden');
  });

  it('refuses a HERALD_NO_PROXY entry it cannot read, naming it', () => {
    expect(problems({ HERALD_NO_PROXY: 'localhost, 10.0.0.0/33' })).toMatch(/HERALD_NO_PROXY: "10.0.0.0\/33" is not a valid CIDR block/);
  });
});
