// POST /v1/config/apply: declarative webhooks as JSON or YAML; a body that applies nothing is an error.
import request from './support/checked-request';
import { adminAuth, inProcessApi, type InProcessApi } from './support/in-process-api';

let api: InProcessApi;

beforeAll(() => {
  api = inProcessApi('config-apply');
});

afterAll(() => api.close());

const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

describe('POST /v1/config/apply', () => {
  it('applies a YAML body, the format of a config file', async () => {
    const yaml = [
      'webhooks:',
      '  - name: yaml-billing',
      '    tenant: yaml-tenant',
      '    url: https://example.com/billing',
      '    events: ["invoice.*"]',
      '    retry: { strategy: schedule, delaysMs: [1m, 5m] }',
    ].join('\n');
    const response = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'application/yaml').send(yaml);
    expect(response.status).toBe(200);
    expect(response.body.created).toEqual(['yaml-billing']);
    const listed = await request(api.app).get('/v1/webhooks?tenant=yaml-tenant').set(adminAuth);
    expect(listed.body.data).toMatchObject([{ name: 'yaml-billing', retry: { delaysMs: [60_000, 300_000] } }]);

    const again = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'text/yaml').send(yaml);
    expect(again.body).toMatchObject({ created: [], unchanged: ['yaml-billing'] });
  });

  it('answers 400 for YAML that does not parse, naming the body', async () => {
    const response = await request(api.app)
      .post('/v1/config/apply')
      .set(adminAuth)
      .set('content-type', 'application/yaml')
      .send('webhooks: [ {name: broken');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body.errors[0]).toMatchObject({ field: '(body)', message: expect.stringMatching(/not valid YAML/) });
  });

  it('answers 400 naming "webhooks" for {} and for an empty body', async () => {
    const empty = await request(api.app).post('/v1/config/apply').set(adminAuth).send({});
    expect(empty.status).toBe(400);
    expect(fieldsOf(empty.body)).toEqual(['webhooks']);
    const none = await request(api.app).post('/v1/config/apply').set(adminAuth);
    expect(none.status).toBe(400);
    expect(fieldsOf(none.body)).toEqual(['webhooks']);
    const emptyYaml = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'application/yaml').send('');
    expect(emptyYaml.status).toBe(400);
    expect(fieldsOf(emptyYaml.body)).toEqual(['webhooks']);
  });

  it('answers 400 naming the second of two webhooks with the same name, and creates neither', async () => {
    const twice = {
      webhooks: [
        { name: 'twice', tenant: 'twice-tenant', url: 'https://example.com/one' },
        { name: 'twice', tenant: 'twice-tenant', url: 'https://example.com/two' },
      ],
    };
    const response = await request(api.app).post('/v1/config/apply').set(adminAuth).send(twice);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'webhooks.1.name', message: expect.stringMatching(/"twice".*twice/) }]);
    expect((await request(api.app).get('/v1/webhooks?tenant=twice-tenant').set(adminAuth)).body.data).toEqual([]);
    // The same name under two tenants is two webhooks.
    const apart = { webhooks: [twice.webhooks[0], { ...twice.webhooks[1], tenant: 'other-tenant' }] };
    expect((await request(api.app).post('/v1/config/apply').set(adminAuth).send(apart)).status).toBe(200);
  });

  it('answers 400 naming a "__proto__" key, which would otherwise vanish, in YAML and in JSON', async () => {
    const yaml = ['webhooks:', '  - name: proto-headers', '    url: https://example.com/proto', '    headers:', '      __proto__: x'].join('\n');
    const fromYaml = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'application/yaml').send(yaml);
    expect(fromYaml.status).toBe(400);
    expect(fromYaml.body.errors).toEqual([{ field: 'webhooks.0.headers.__proto__', message: expect.stringMatching(/named "__proto__"/) }]);
    const fromJson = await request(api.app)
      .post('/v1/config/apply')
      .set(adminAuth)
      .set('content-type', 'application/json')
      .serialize((raw: unknown) => raw as string)
      .send('{"webhooks":[{"name":"proto-vars","url":"https://example.com/proto","templateVars":{"__proto__":"x"}}]}');
    expect(fromJson.status).toBe(400);
    expect(fieldsOf(fromJson.body)).toEqual(['webhooks.0.templateVars.__proto__']);
    const listed = await request(api.app).get('/v1/webhooks').set(adminAuth);
    expect((listed.body.data as { name?: string }[]).map((w) => w.name)).not.toEqual(expect.arrayContaining(['proto-headers']));
    expect((listed.body.data as { name?: string }[]).map((w) => w.name)).not.toEqual(expect.arrayContaining(['proto-vars']));
  });

  it('answers 400 naming the nesting, not 500, for a document nested 100,000 deep, as JSON and as YAML', async () => {
    const deepJson = `{"webhooks":[${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}]}`;
    const json = await request(api.app)
      .post('/v1/config/apply')
      .set(adminAuth)
      .set('content-type', 'application/json')
      .serialize((raw: unknown) => raw as string)
      .send(deepJson);
    expect(json.status).toBe(400);
    expect(json.headers['content-type']).toMatch(/problem\+json/);
    expect(json.body.errors).toEqual([{ field: '(body)', message: 'nests deeper than 64 levels' }]);
    // A bare array, as deep.
    const array = await request(api.app)
      .post('/v1/config/apply')
      .set(adminAuth)
      .set('content-type', 'application/json')
      .serialize((raw: unknown) => raw as string)
      .send(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(array.status).toBe(400);
    expect(array.body.errors).toEqual([{ field: '(body)', message: 'nests deeper than 64 levels' }]);

    for (const yaml of [
      `webhooks: ${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      ['webhooks:', ...Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i + 1)}- `)].join('\n'),
      `webhooks: ${'['.repeat(200)}${']'.repeat(200)}`,
    ]) {
      const response = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'application/yaml').send(yaml);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(response.body.errors).toEqual([{ field: '(body)', message: expect.stringMatching(/nests deeper than 64 levels/) }]);
    }
  });

  it('answers 415 for a body that is neither JSON nor YAML', async () => {
    const response = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'text/plain').send('webhooks: []');
    expect(response.status).toBe(415);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body.detail).toMatch(/application\/json.*application\/yaml/);
  });

  it('refuses ${env.NAME} references, which only `herald apply` resolves, naming the field', async () => {
    const yaml = ['webhooks:', '  - name: env-ref', '    url: https://example.com/env', '    auth: { type: bearer, token: "${env.HERALD_ADMIN_TOKEN}" }'].join('\n');
    const response = await request(api.app).post('/v1/config/apply').set(adminAuth).set('content-type', 'application/yaml').send(yaml);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'webhooks.0.auth.token', message: expect.stringMatching(/herald apply/) }]);
  });

  it('checks an OAuth2 token URL as it checks the webhook URL, naming the field, and applies nothing', async () => {
    const document = {
      webhooks: [
        { name: 'oauth-ok', tenant: 'oauth-config', url: 'https://example.com/ok', auth: { type: 'oauth2', tokenUrl: 'https://auth.example.com/token', clientId: 'c', clientSecret: 's' } },
        { name: 'oauth-metadata', tenant: 'oauth-config', url: 'https://example.com/md', auth: { type: 'oauth2', tokenUrl: 'http://169.254.169.254/token', clientId: 'c', clientSecret: 's' } },
      ],
    };
    const response = await request(api.app).post('/v1/config/apply').set(adminAuth).send(document);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'webhooks.1.auth.tokenUrl', message: expect.stringMatching(/cloud metadata/) }]);
    expect((await request(api.app).get('/v1/webhooks?tenant=oauth-config').set(adminAuth)).body.data).toEqual([]);
  });
});
