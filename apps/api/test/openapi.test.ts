// The OpenAPI document: the committed copy is the generated one, it is valid OpenAPI 3.1, the API
// serves it and a page rendering it without a token, and every operation it lists is a real route.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'supertest';
import { OPENAPI_DOCUMENT_PATH, OpenApiValidator } from '@herald/testing';
import { openApiDocument, serializeOpenApiDocument } from '../src/openapi/document';
import { OPENAPI_FILE } from '../src/openapi/write';
import request from './support/checked-request';
import { adminAuth, inProcessApi, type InProcessApi } from './support/in-process-api';

let api: InProcessApi;

beforeAll(() => {
  api = inProcessApi('openapi');
});

afterAll(() => api.close());

describe('docs/openapi.json', () => {
  it('is the document the schemas generate (run `pnpm openapi` after changing a schema or route)', () => {
    expect(OPENAPI_FILE).toBe(OPENAPI_DOCUMENT_PATH);
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    // Compared as text: a regeneration must leave the file exactly as committed.
    expect(committed === serializeOpenApiDocument()).toBe(true);
  });

  it('is valid OpenAPI 3.1', async () => {
    const cli = join(__dirname, '..', 'node_modules', '.bin', 'validate-api');
    const { stdout } = await promisify(execFile)(cli, [OPENAPI_FILE]);
    const result = JSON.parse(stdout) as { valid: boolean; errors?: unknown };
    expect(result).toEqual({ valid: true });
    expect(openApiDocument().openapi).toBe('3.1.0');
  });

  it('documents the bearer scheme, and which token each /v1 operation takes', () => {
    const document = openApiDocument();
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The loop below checks something only if there are /v1 routes to check.
    expect(Object.keys(document.paths ?? {}).filter((path) => path.startsWith('/v1/')).length).toBeGreaterThan(15);
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item as Record<string, { security?: unknown[]; description?: string; responses: Record<string, unknown> }>)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (path.startsWith('/v1/')) {
          expect([name, operation.security]).toEqual([name, [{ bearerAuth: [] }]]);
          expect([name, operation.description]).toEqual([name, expect.stringMatching(/\*\*Token:\*\* the admin token/)]);
          expect([name, Object.keys(operation.responses)]).toEqual([name, expect.arrayContaining(['401', '503'])]);
        } else {
          expect([name, operation.security]).toEqual([name, []]);
        }
      }
    }
  });

  it('lists only routes the API has: none answers with the 404 of unknown routes', async () => {
    const operations = OpenApiValidator.fromRepository().operations();
    expect(operations.length).toBeGreaterThanOrEqual(30);
    for (const operation of operations) {
      const [method, path] = operation.split(' ') as [string, string];
      const url = path.replace(/\{[^}]+\}/g, 'doc-check');
      const test = (request(api.app) as unknown as Record<string, (url: string) => Test>)[method.toLowerCase()]!(url).set(adminAuth);
      const response = await (method === 'GET' || method === 'DELETE' ? test : test.send({}));
      expect([operation, response.body?.detail ?? '']).not.toEqual([operation, expect.stringMatching(/^No route for/)]);
    }
  });
});

describe('GET /openapi.json and /docs', () => {
  it('serve the document and a page rendering it, without a token', async () => {
    const served = await request(api.app).get('/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')));

    const page = await request(api.app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // Nothing from elsewhere: every URL in the page is relative, and the browser may load only from the API.
    expect(page.text).toContain('<redoc spec-url="openapi.json"');
    expect(page.text.match(/(?:src|href|spec-url)="[^"]*"/g)).toEqual(['spec-url="openapi.json"', 'src="docs/redoc.standalone.js"']);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/img-src 'self' data:/);

    const script = await request(api.app).get('/docs/redoc.standalone.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text.length).toBeGreaterThan(100_000);
    expect(script.text).toContain('Redoc');
  });
});

describe('the response validator (packages/testing)', () => {
  const validator = OpenApiValidator.fromRepository();
  const exchange = { method: 'get', url: '/v1/webhooks/wh_1', status: 200, responseHeaders: { 'content-type': 'application/json; charset=utf-8' }, responseBody: {} };

  it('refuses an answer whose body the schema does not admit', () => {
    expect(validator.check(exchange)).toEqual(expect.arrayContaining([expect.stringContaining("must have required property 'id'")]));
  });

  it('refuses an undocumented status, content-type, route, or a missing required header', () => {
    expect(validator.check({ ...exchange, status: 418 })).toEqual([expect.stringContaining('documents no 418 answer')]);
    expect(validator.check({ ...exchange, responseHeaders: { 'content-type': 'text/plain' } })).toEqual([expect.stringContaining('content-type text/plain is not documented')]);
    expect(validator.check({ ...exchange, url: '/v1/nowhere' })).toEqual([expect.stringContaining('no operation GET /v1/nowhere is documented')]);
    const created = { method: 'post', url: '/v1/webhooks', status: 201, responseHeaders: { 'content-type': 'application/json' }, responseBody: {} };
    expect(validator.check(created)).toEqual(expect.arrayContaining([expect.stringContaining('the documented header Location is missing')]));
  });

  it('refuses a request the API accepted but the document does not admit', () => {
    const accepted = { method: 'get', url: '/v1/dead-letters?limit=5&colour=red', status: 200, responseHeaders: { 'content-type': 'application/json' }, responseBody: { data: [], next: null } };
    expect(validator.check(accepted)).toEqual([expect.stringContaining('the query parameter "colour", which is not documented')]);
    expect(validator.check({ ...accepted, url: '/v1/dead-letters?limit=5000' })).toEqual([expect.stringContaining('query limit=5000')]);
    const published = { method: 'post', url: '/v1/events', requestContentType: 'application/json', requestBody: { type: 'a.b', colour: 'red' }, status: 202, responseHeaders: { 'content-type': 'application/json' }, responseBody: { id: 'evt_1', duplicate: false } };
    expect(validator.check(published)).toEqual([expect.stringContaining('request body (accepted by the API)')]);
    expect(validator.check({ ...published, requestBody: { type: 'a.b' } })).toEqual([]);
  });
});
