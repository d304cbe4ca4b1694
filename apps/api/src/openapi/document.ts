// The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate with.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { BEARER_SCHEME } from './route';
import { registerEventPaths } from './paths/events';
import { registerWebhookPaths } from './paths/webhooks';
import { registerDeadLetterPaths } from './paths/dead-letters';
import { registerAdminPaths } from './paths/admin';
import { registerDeliveryWebhook, registerOpenPaths } from './paths/health';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

const DESCRIPTION = `Herald delivers webhooks: producers publish events, Herald fans each out to every subscribed endpoint, signs it the [Standard Webhooks](https://www.standardwebhooks.com) way, retries with backoff and parks what fails for good as a dead letter.

**Tokens.** Every \`/v1\` route needs \`Authorization: Bearer <token>\`: the admin token (HERALD_ADMIN_TOKEN), or a tenant token (HERALD_TENANT_TOKENS, or one made at \`/v1/tokens\`), which sees and changes only its own tenant's (404 for another tenant's webhooks, 403 for naming another tenant). Each operation says which token may call it.

**Errors** are \`application/problem+json\` (RFC 9457); invalid input is a 400 whose \`errors\` names each failing field. Bad input never gets a 500. 503 means Redis does not answer: retry after \`Retry-After\`.

**Times** in queries and bodies (\`since\`, \`before\`) are ISO-8601 with an offset or unix milliseconds; **durations** are milliseconds or strings such as "30s", "5m", "6h".

The \`webhooks\` section describes what Herald sends to your endpoints.`;

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

let cached: OpenApiDocument | undefined;

/** The document (built once per process). */
export function openApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin token, or a tenant token.',
  });
  registerEventPaths(registry);
  registerWebhookPaths(registry);
  registerDeadLetterPaths(registry);
  registerAdminPaths(registry);
  registerOpenPaths(registry);
  registerDeliveryWebhook(registry);
  cached = new OpenApiGeneratorV31(registry.definitions, { sortComponents: 'alphabetically' }).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Herald API', version, description: DESCRIPTION },
    tags: [
      { name: 'Events', description: 'Publishing and reading events.' },
      { name: 'Webhooks', description: 'Endpoint subscriptions, their attempt logs and statistics.' },
      { name: 'Dead letters', description: 'Deliveries that failed for good: inspect, replay, purge.' },
      { name: 'Statistics' },
      { name: 'Tokens', description: 'Tenant tokens (admin).' },
      { name: 'Configuration', description: 'Declarative webhooks (admin).' },
      { name: 'Operations', description: 'Health, metrics and this document; no token.' },
      { name: 'Deliveries', description: 'What Herald sends to your endpoints.' },
    ],
  });
  return cached;
}

/** The document as docs/openapi.json holds it. */
export function serializeOpenApiDocument(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
