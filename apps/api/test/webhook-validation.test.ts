// Webhook input that must be refused when saved (or accepted), on create and on PATCH alike.
import request from './support/checked-request';
import { adminAuth, inProcessApi, type InProcessApi } from './support/in-process-api';
import { createTestPki, type TestPki } from '@herald/testing';

let api: InProcessApi;

beforeAll(() => {
  api = inProcessApi('webhook-validation');
});

afterAll(() => api.close());

const create = (body: Record<string, unknown>) => request(api.app).post('/v1/webhooks').set(adminAuth).send(body);
const patch = (id: string, body: Record<string, unknown>) => request(api.app).patch(`/v1/webhooks/${id}`).set(adminAuth).send(body);
const stored = async (id: string) => JSON.parse((await api.redis.hget(api.keys.webhooks, id)) as string) as Record<string, unknown>;

describe('PATCH with null', () => {
  it('clears headers and auth back to their defaults', async () => {
    const created = await create({
      url: 'https://example.com/clear',
      headers: { 'x-api-key': 'header-value' },
      auth: { type: 'bearer', token: 'bearer-token-value' },
    });
    const id = created.body.id as string;
    const headers = await patch(id, { headers: null });
    expect(headers.status).toBe(200);
    expect(headers.body.headers).toEqual({});
    const auth = await patch(id, { auth: null });
    expect(auth.status).toBe(200);
    // An HMAC algorithm is shown only for HMAC authentication.
    expect(auth.body.auth).toEqual({ type: 'none' });
    expect(await stored(id)).toMatchObject({ headers: {}, auth: { type: 'none' } });
    expect(JSON.stringify(await stored(id))).not.toMatch(/bearer-token-value|header-value/);
  });
});

describe('credentials sent in headers', () => {
  it.each([
    ['auth.token', { type: 'bearer', token: 'abc\r\nx-evil: 1' }],
    ['auth.token', { type: 'bearer', token: 'abc\0def' }],
    ['auth.apiKey', { type: 'api_key', apiKey: 'key\nmore' }],
    ['auth.hmacSecret', { type: 'hmac', hmacSecret: 'secret-with-\r-inside' }],
  ])('refuses CR, LF or NUL in %s, on create and on PATCH', async (field, auth) => {
    const created = await create({ url: 'https://example.com/crlf', auth });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ field, message: 'must not contain CR, LF or NUL' }]);
    const existing = await create({ url: 'https://example.com/crlf' });
    const patched = await patch(existing.body.id as string, { auth });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toEqual([{ field, message: 'must not contain CR, LF or NUL' }]);
  });
});

describe('receiver-chosen HMAC secrets', () => {
  it.each([
    ['your-secret-key', 'your-secret-key'],
    ['webhook_secret', 'webhook_secret'],
    ['one character', 'k'],
    ['4,096 characters', 'x'.repeat(4096)],
  ])('accepts %s', async (_label, hmacSecret) => {
    const created = await create({ url: 'https://example.com/hmac', auth: { type: 'hmac', hmacSecret } });
    expect(created.status).toBe(201);
    expect((await stored(created.body.id as string)).auth).toMatchObject({ type: 'hmac', hmacSecret });
  });

  it('refuses an empty one and one over 4,096 characters', async () => {
    for (const hmacSecret of ['', 'x'.repeat(4097)]) {
      const created = await create({ url: 'https://example.com/hmac', auth: { type: 'hmac', hmacSecret } });
      expect(created.status).toBe(400);
      expect(created.body.errors.map((e: { field: string }) => e.field)).toEqual(['auth.hmacSecret']);
    }
  });
});

describe('PATCH validates the webhook it makes, as create does', () => {
  it('refuses a preset without the variables it needs, and keeps the webhook as it was', async () => {
    const created = await create({ url: 'https://example.com/pd' });
    const id = created.body.id as string;
    const before = await stored(id);
    const preset = await patch(id, { template: 'pagerduty' });
    expect(preset.status).toBe(400);
    expect(preset.body.errors).toEqual([{ field: 'templateVars.routingKey', message: 'is required by the pagerduty preset' }]);
    const perType = await patch(id, { eventTemplates: { 'incident.*': 'pagerduty' } });
    expect(perType.status).toBe(400);
    expect(perType.body.errors[0].field).toBe('templateVars.routingKey');
    expect(await stored(id)).toEqual(before);

    const complete = await patch(id, { template: 'pagerduty', templateVars: { routingKey: 'routing-key-value' } });
    expect(complete.status).toBe(200);
    // Taking the variables away again would leave the preset without them.
    const removed = await patch(id, { templateVars: null });
    expect(removed.status).toBe(400);
    expect(removed.body.errors[0].field).toBe('templateVars.routingKey');
    expect((await stored(id)).templateVars).toEqual({ routingKey: 'routing-key-value' });
  });

  it('refuses a patch that leaves the auth type without its credential', async () => {
    const created = await create({ url: 'https://example.com/auth', auth: { type: 'bearer', token: 'bearer-token-value' } });
    const switched = await patch(created.body.id as string, { auth: { type: 'api_key' } });
    expect(switched.status).toBe(400);
    expect(switched.body.errors[0].field).toBe('auth.apiKey');
  });
});

describe('query strings', () => {
  it('refuse a malformed tenant, a dry run that is neither true nor false, and a limit that is not a number, naming them', async () => {
    const cases: [string, string][] = [
      ['/v1/webhooks?tenant=not%20a%20tenant!', 'tenant'],
      ['/v1/dead-letters?limit=true', 'limit'],
      ['/v1/events?limit=abc', 'limit'],
      ['/v1/webhooks/wh_none/deliveries?offset=-1', 'offset'],
    ];
    for (const [url, field] of cases) {
      const response = await request(api.app).get(url).set(adminAuth);
      expect([url, response.status, response.body.errors?.map((e: { field: string }) => e.field)]).toEqual([url, 400, [field]]);
    }
    const dryRun = await request(api.app).post('/v1/config/apply?dryRun=yes').set(adminAuth).send({ webhooks: [] });
    expect(dryRun.status).toBe(400);
    expect(dryRun.body.errors).toEqual([{ field: 'dryRun', message: expect.any(String) }]);
    expect((await request(api.app).get('/v1/dead-letters?limit=2').set(adminAuth)).status).toBe(200);
  });
});

describe('"__proto__" keys in headers, templateVars and eventTemplates', () => {
  /** Sends JSON text as written: a "__proto__" key survives only in the text. */
  const sendText = (method: 'post' | 'patch', path: string, json: string) =>
    request(api.app)[method](path)
      .set(adminAuth)
      .set('content-type', 'application/json')
      .serialize((raw: unknown) => raw as string)
      .send(json);

  it.each([
    ['headers.__proto__', '"headers":{"__proto__":"x","x-kept":"1"}'],
    ['templateVars.__proto__', '"template":"slack","templateVars":{"__proto__":"x"}'],
    ['eventTemplates.__proto__', '"eventTemplates":{"__proto__":"{\\"a\\":1}"}'],
  ])('are refused naming %s, on create and on PATCH, and nothing changes', async (field, members) => {
    const before = await api.redis.hlen(api.keys.webhooks);
    const created = await sendText('post', '/v1/webhooks', `{"url":"https://example.com/proto",${members}}`);
    expect(created.status).toBe(400);
    expect(created.body.errors).toContainEqual({ field, message: expect.stringMatching(/named "__proto__"/) });
    expect(await api.redis.hlen(api.keys.webhooks)).toBe(before);

    const existing = await create({ url: 'https://example.com/proto-patch' });
    const id = existing.body.id as string;
    const storedBefore = await stored(id);
    const patched = await sendText('patch', `/v1/webhooks/${id}`, `{${members}}`);
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toContainEqual({ field, message: expect.stringMatching(/named "__proto__"/) });
    expect(await stored(id)).toEqual(storedBefore);
  });
});

describe('OAuth2 client credentials', () => {
  const oauth2 = { type: 'oauth2', tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'herald', clientSecret: 'oauth-client-secret' };

  it('is saved, shown without its secret, and kept sealed from readers of the list', async () => {
    const created = await create({ url: 'https://example.com/oauth', auth: { ...oauth2, scope: 'hooks', extraParams: { resource: 'r-secret-ish' } } });
    expect(created.status).toBe(201);
    expect(created.body.auth).toEqual({
      type: 'oauth2', tokenUrl: oauth2.tokenUrl, clientId: 'herald', authMethod: 'basic', scope: 'hooks', extraParams: { resource: '********' },
    });
    const list = await request(api.app).get('/v1/webhooks').set(adminAuth);
    expect(JSON.stringify(list.body)).not.toMatch(/oauth-client-secret|r-secret-ish/);
  });

  it.each([
    ['auth.tokenUrl', { ...oauth2, tokenUrl: undefined }, 'is required when type is "oauth2"'],
    ['auth.clientId', { ...oauth2, clientId: undefined }, 'is required when type is "oauth2"'],
    ['auth.clientSecret', { ...oauth2, clientSecret: undefined }, 'is required when authMethod is "basic"'],
    ['auth.clientSecret', { ...oauth2, clientSecret: undefined, authMethod: 'post' }, 'is required when authMethod is "post"'],
    ['auth.privateKeyJwt', { ...oauth2, authMethod: 'jwt' }, 'is required when authMethod is "jwt"'],
    ['auth.privateKeyJwt', { ...oauth2, authMethod: 'jwt', privateKeyJwt: 'not a key' }, 'is not a PEM private key (an encrypted key is not accepted)'],
    ['auth.tokenUrl', { ...oauth2, tokenUrl: 'ftp://auth.example.com/' }, 'must be an http or https URL'],
  ])('refuses a missing or bad %s, naming it', async (field, auth, message) => {
    const created = await create({ url: 'https://example.com/oauth', auth });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ field, message }]);
  });

  it('refuses extra parameters Herald sets itself', async () => {
    const created = await create({ url: 'https://example.com/oauth', auth: { ...oauth2, extraParams: { grant_type: 'password' } } });
    expect(created.status).toBe(400);
    expect(created.body.errors[0]).toMatchObject({ field: 'auth.extraParams.grant_type', message: 'is not a valid name: is set by Herald' });
  });

  it('checks the token URL as it checks the webhook URL: a metadata address is refused even with private targets allowed', async () => {
    const created = await create({ url: 'https://example.com/oauth', auth: { ...oauth2, tokenUrl: 'http://169.254.169.254/latest/api/token' } });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ field: 'auth.tokenUrl', message: expect.stringMatching(/cloud metadata/) }]);
    const existing = await create({ url: 'https://example.com/oauth' });
    const patched = await patch(existing.body.id as string, { auth: { ...oauth2, tokenUrl: 'http://[fd00:ec2::254]/token' } });
    expect(patched.status).toBe(400);
    expect(patched.body.errors[0].field).toBe('auth.tokenUrl');
  });
});

describe('mutual TLS', () => {
  let pki: TestPki;
  const day = 86_400_000;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.remove());

  it('is saved with its key sealed, and shown with the certificate only', async () => {
    const client = pki.client();
    const created = await create({ url: 'https://example.com/mtls', tls: { clientCert: client.cert, clientKey: client.key, ca: pki.caCert } });
    expect(created.status).toBe(201);
    expect(created.body.tls).toEqual({ clientCert: client.cert, ca: pki.caCert });
    const read = await request(api.app).get(`/v1/webhooks/${created.body.id as string}`).set(adminAuth);
    expect(JSON.stringify(read.body)).not.toContain('PRIVATE KEY');
    expect((await stored(created.body.id as string)).tls).toMatchObject({ clientCert: client.cert, clientKey: client.key });
    // PATCH with null removes it.
    const cleared = await patch(created.body.id as string, { tls: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.tls).toBeUndefined();
  });

  it('opens an encrypted key with its passphrase, and names the passphrase when it is missing or wrong', async () => {
    const client = pki.client({ passphrase: 'open sesame' });
    const ok = await create({ url: 'https://example.com/mtls', tls: { clientCert: client.cert, clientKey: client.key, passphrase: 'open sesame' } });
    expect(ok.status).toBe(201);
    const missing = await create({ url: 'https://example.com/mtls', tls: { clientCert: client.cert, clientKey: client.key } });
    expect(missing.body.errors).toEqual([{ field: 'tls.passphrase', message: 'is required: clientKey is encrypted' }]);
    const wrong = await create({ url: 'https://example.com/mtls', tls: { clientCert: client.cert, clientKey: client.key, passphrase: 'wrong' } });
    expect(wrong.body.errors).toEqual([{ field: 'tls.passphrase', message: 'does not open clientKey' }]);
  });

  it.each([
    ['tls.clientCert', () => ({ ...pki.client({ notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) }) }), /^expired on \d{4}-/],
    ['tls.clientCert', () => ({ ...pki.client({ notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 10 * day) }) }), /^is not valid before \d{4}-/],
    ['tls.clientKey', () => ({ cert: pki.client().cert, key: pki.client().key }), /^does not belong to clientCert$/],
    ['tls.clientCert', () => ({ cert: 'not a certificate', key: pki.client().key }), /^is not a PEM certificate$/],
    ['tls.clientKey', () => ({ cert: pki.client().cert, key: 'not a key' }), /^is not a PEM private key$/],
  ])('refuses a bad %s at save, naming the field, on create and PATCH', async (field, make, message) => {
    const { cert, key } = make();
    const created = await create({ url: 'https://example.com/mtls', tls: { clientCert: cert, clientKey: key } });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
    const existing = await create({ url: 'https://example.com/mtls' });
    const patched = await patch(existing.body.id as string, { tls: { clientCert: cert, clientKey: key } });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
  });
});
