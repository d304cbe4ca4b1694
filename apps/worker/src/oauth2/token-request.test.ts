import { generateKeyPairSync, verify } from 'node:crypto';
import { tokenOutcome, tokenRequest, type OAuth2Settings } from './token-request';

const base: OAuth2Settings = { type: 'oauth2', tokenUrl: 'https://auth.example/token', clientId: 'client a', clientSecret: 's3cr&t', hmacAlgorithm: 'sha256' };
const options = { nowMs: 1_700_000_000_000, timeoutMs: 5000, userAgent: 'Herald/test' };

describe('tokenRequest', () => {
  it('sends client_secret_basic by default, with scope, audience and extra parameters', () => {
    const request = tokenRequest({ ...base, scope: 'hooks:write', audience: 'https://api.example', extraParams: { resource: 'r1' } }, options);
    expect(request).toMatchObject({ url: 'https://auth.example/token', method: 'POST', timeoutMs: 5000 });
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // RFC 6749 2.3.1: form-encoded before Basic's base64.
    expect(Buffer.from(request.headers.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('client+a:s3cr%26t');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'client_credentials', scope: 'hooks:write', audience: 'https://api.example', resource: 'r1',
    });
  });

  it('puts the credentials in the form with client_secret_post', () => {
    const request = tokenRequest({ ...base, authMethod: 'post' }, options);
    expect(request.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({ grant_type: 'client_credentials', client_id: 'client a', client_secret: 's3cr&t' });
  });

  it.each([
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256'],
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), 'ES256'],
  ])('signs a private_key_jwt client assertion with an %s key', (_name, makeKeys, alg) => {
    const { privateKey, publicKey } = makeKeys();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const request = tokenRequest({ ...base, clientSecret: undefined, privateKeyJwt: pem }, options);
    const form = Object.fromEntries(new URLSearchParams(request.body));
    expect(form).toMatchObject({ grant_type: 'client_credentials', client_id: 'client a', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    const [header, claims, signature] = (form.client_assertion as string).split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg, typ: 'JWT' });
    expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toMatchObject({
      iss: 'client a', sub: 'client a', aud: 'https://auth.example/token', iat: 1_700_000_000, exp: 1_700_000_060, jti: expect.any(String),
    });
    const key = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
    expect(verify('sha256', Buffer.from(`${header}.${claims}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  });
});

describe('tokenOutcome', () => {
  const url = 'https://auth.example/token';
  const answer = (statusCode: number, body: string) => ({ kind: 'response' as const, statusCode, headers: {}, body });

  it('reads the token and its lifetime', () => {
    expect(tokenOutcome(answer(200, '{"access_token":"abc","token_type":"Bearer","expires_in":5}'), url)).toEqual({ ok: true, accessToken: 'abc', lifetimeMs: 5000 });
    expect(tokenOutcome(answer(200, '{"access_token":"abc"}'), url)).toMatchObject({ ok: true, lifetimeMs: 300_000 });
  });

  it('calls a 4xx or an answer without a usable token a refusal, naming the endpoint but never echoing the body', () => {
    expect(tokenOutcome(answer(401, '{"error":"invalid_client","error_description":"secret s3cr&t is wrong"}'), url)).toEqual({
      ok: false, kind: 'rejected', reason: 'token endpoint https://auth.example/token answered HTTP 401 (invalid_client)',
    });
    expect(tokenOutcome(answer(200, 'not json'), url)).toMatchObject({ ok: false, kind: 'rejected' });
    expect(tokenOutcome(answer(200, '{"token_type":"bearer"}'), url)).toMatchObject({ ok: false, kind: 'rejected' });
    expect(tokenOutcome(answer(200, '{"access_token":"a","token_type":"mac"}'), url)).toMatchObject({ ok: false, kind: 'rejected' });
    expect(tokenOutcome({ kind: 'error', code: 'TARGET_REFUSED', message: 'not public' }, url)).toMatchObject({ ok: false, kind: 'rejected' });
  });

  it('calls a 5xx, 429 or network error unavailable', () => {
    expect(tokenOutcome(answer(503, ''), url)).toEqual({ ok: false, kind: 'unavailable', reason: 'token endpoint https://auth.example/token answered HTTP 503' });
    expect(tokenOutcome(answer(429, ''), url)).toMatchObject({ kind: 'unavailable' });
    expect(tokenOutcome({ kind: 'error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, url)).toMatchObject({ kind: 'unavailable' });
  });
});
