// Holds real HTTP exchanges with the API against docs/openapi.json, so the document cannot lie:
// every answer must be one the document lists for its operation, with a body its schema admits,
// and every request the API accepted (2xx) must be one the document admits too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/* eslint-disable @typescript-eslint/no-explicit-any -- an OpenAPI document is walked as plain JSON */
type Json = any;

export const OPENAPI_DOCUMENT_PATH = join(__dirname, '..', '..', '..', 'docs', 'openapi.json');

/** One request and its answer, as a test saw them. */
export interface Exchange {
  method: string;
  /** Path and query string, as sent: `/v1/webhooks/wh_1/deliveries?limit=5`. */
  url: string;
  requestBody?: unknown;
  requestContentType?: string;
  status: number;
  /** Lower-case names. */
  responseHeaders: Record<string, string | undefined>;
  /** Parsed JSON when the answer is JSON, else its text. */
  responseBody: unknown;
}

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

interface Operation {
  path: string;
  method: string;
  spec: Json;
}

/** A path template as a pattern: `/v1/webhooks/{id}` matches one segment where `{id}` is. */
function pathPattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

export class OpenApiMismatch extends Error {
  override readonly name = 'OpenApiMismatch';
}

export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  /** Query and header values are text: this one reads "5" as the integer the schema asks for. */
  private readonly coercing = new Ajv2020({ strict: false, allErrors: true, coerceTypes: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { pattern: RegExp; literal: boolean; path: string }[];

  constructor(private readonly document: Json) {
    addFormats(this.ajv);
    addFormats(this.coercing);
    this.routes = Object.keys(document.paths ?? {})
      .map((path) => ({ pattern: pathPattern(path), literal: !path.includes('{'), path }))
      // Literal paths first: `/v1/events/stats` before `/v1/events/{id}`, as the API routes them.
      .sort((a, b) => Number(b.literal) - Number(a.literal));
  }

  /** The validator of the committed docs/openapi.json (read once per test file). */
  static fromRepository(): OpenApiValidator {
    cachedValidator ??= new OpenApiValidator(JSON.parse(readFileSync(OPENAPI_DOCUMENT_PATH, 'utf8')));
    return cachedValidator;
  }

  /** The operation the API would route `method path` to, if the document has one. */
  operation(method: string, path: string): Operation | undefined {
    const lower = method.toLowerCase();
    for (const route of this.routes) {
      if (!route.pattern.test(path)) continue;
      const spec = this.document.paths[route.path]?.[lower];
      if (spec) return { path: route.path, method: lower, spec };
    }
    return undefined;
  }

  /** Every documented operation, as `METHOD path`. */
  operations(): string[] {
    return Object.entries(this.document.paths as Record<string, Json>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => METHODS.includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
  }

  /** What is wrong with this exchange, by the document; empty when nothing is. */
  check(exchange: Exchange): string[] {
    const url = new URL(exchange.url, 'http://herald.invalid');
    const operation = this.operation(exchange.method, url.pathname);
    if (!operation) return this.checkUnrouted(exchange);
    const problems: string[] = [];
    this.checkResponse(operation, exchange, problems);
    if (exchange.status >= 200 && exchange.status < 300) this.checkRequest(operation, exchange, url, problems);
    return problems;
  }

  /** Throws an OpenApiMismatch naming every problem with this exchange. */
  assert(exchange: Exchange): void {
    const problems = this.check(exchange);
    if (problems.length === 0) return;
    const body = typeof exchange.responseBody === 'string' ? exchange.responseBody : JSON.stringify(exchange.responseBody);
    throw new OpenApiMismatch(
      `${exchange.method.toUpperCase()} ${exchange.url} → ${exchange.status} does not match docs/openapi.json:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        `\n  response body: ${(body ?? '').slice(0, 2000)}`,
    );
  }

  /** A path no operation documents may only be refused: 401 before routing (/v1), or the 404 of unknown routes. */
  private checkUnrouted(exchange: Exchange): string[] {
    if (exchange.status !== 404 && exchange.status !== 401) {
      return [`no operation ${exchange.method.toUpperCase()} ${exchange.url.split('?')[0]} is documented, yet it answered ${exchange.status}`];
    }
    const problems: string[] = [];
    this.checkContent({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }, exchange, 'unrouted', problems);
    return problems;
  }

  private checkResponse(operation: Operation, exchange: Exchange, problems: string[]): void {
    const name = `${operation.method.toUpperCase()} ${operation.path}`;
    const response = operation.spec.responses?.[String(exchange.status)] ?? operation.spec.responses?.default;
    if (!response) {
      problems.push(`${name} documents no ${exchange.status} answer (it documents ${Object.keys(operation.spec.responses ?? {}).join(', ')})`);
      return;
    }
    for (const [header, spec] of Object.entries<Json>(response.headers ?? {})) {
      if (spec.required && exchange.responseHeaders[header.toLowerCase()] === undefined) {
        problems.push(`${name} ${exchange.status}: the documented header ${header} is missing`);
      }
    }
    this.checkContent(response, exchange, `${name} ${exchange.status}`, problems);
  }

  private checkContent(response: Json, exchange: Exchange, name: string, problems: string[]): void {
    const content: Record<string, Json> | undefined = response.content;
    const type = mediaType(exchange.responseHeaders['content-type']);
    const empty = exchange.responseBody === undefined || exchange.responseBody === '' ||
      (typeof exchange.responseBody === 'object' && exchange.responseBody !== null && Object.keys(exchange.responseBody).length === 0 && type === undefined);
    if (!content) {
      if (!empty) problems.push(`${name}: documented without a body, yet it has one (${type ?? 'no content-type'})`);
      return;
    }
    if (!type || !content[type]) {
      problems.push(`${name}: content-type ${type ?? '(none)'} is not documented (${Object.keys(content).join(', ')})`);
      return;
    }
    const schema = content[type].schema;
    if (!schema || !JSON_TYPE.test(type)) return;
    const validate = this.validator(schema, this.ajv);
    if (!validate(exchange.responseBody)) problems.push(...this.describe(validate, `${name} body`));
  }

  /** A request the API accepted must be one the document admits. */
  private checkRequest(operation: Operation, exchange: Exchange, url: URL, problems: string[]): void {
    const name = `${operation.method.toUpperCase()} ${operation.path}`;
    const parameters: Json[] = operation.spec.parameters ?? [];
    const query = parameters.filter((p) => p.in === 'query');
    for (const key of new Set(url.searchParams.keys())) {
      if (!query.some((p) => p.name === key)) problems.push(`${name}: the API accepted the query parameter "${key}", which is not documented`);
    }
    for (const parameter of query) {
      const value = url.searchParams.get(parameter.name);
      if (value === null) {
        if (parameter.required) problems.push(`${name}: the API accepted a request without the required query parameter ${parameter.name}`);
        continue;
      }
      // Coercion needs a parent to write the converted value to.
      const validate = this.validator({ type: 'object', properties: { value: parameter.schema ?? {} } }, this.coercing);
      if (!validate({ value })) problems.push(...this.describe(validate, `${name} query ${parameter.name}=${value}`));
    }
    const body = operation.spec.requestBody;
    const type = mediaType(exchange.requestContentType);
    if (!body || exchange.requestBody === undefined || !type || !JSON_TYPE.test(type)) return;
    const schema = body.content?.[type]?.schema;
    if (!schema) {
      problems.push(`${name}: the API accepted a ${type} body, which is not documented`);
      return;
    }
    const parsed = typeof exchange.requestBody === 'string' || Buffer.isBuffer(exchange.requestBody) ? safeParse(String(exchange.requestBody)) : exchange.requestBody;
    const validate = this.validator(schema, this.ajv);
    if (!validate(parsed)) problems.push(...this.describe(validate, `${name} request body (accepted by the API)`));
  }

  private validator(schema: Json, ajv: Ajv2020): ValidateFunction {
    const key = `${ajv === this.coercing ? 'c' : 'j'}:${JSON.stringify(schema)}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      // `#/components/...` references resolve against the root: the components ride along.
      validate = ajv.compile({ ...schema, components: this.document.components });
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private describe(validate: ValidateFunction, what: string): string[] {
    return (validate.errors ?? []).slice(0, 10).map((error) => `${what}: ${error.instancePath || '(root)'} ${error.message ?? ''}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
  }
}

let cachedValidator: OpenApiValidator | undefined;

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
