import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { configFileSchema } from '@herald/shared';
import { configApplyQuerySchema } from '../../routes/config';
import { createTokenSchema } from '../../routes/tokens';
import { configApplyResultSchema, createdTokenSchema, reencryptResultSchema, statsSchema, tokenListSchema } from '../../schemas/responses';
import { idParam, json, registerV1 } from '../route';

export function registerAdminPaths(registry: OpenAPIRegistry): void {
  registerV1(registry, {
    method: 'get',
    path: '/v1/stats',
    operationId: 'stats',
    tags: ['Statistics'],
    summary: 'Overall statistics',
    description:
      "Events per minute, delivery totals and success rate, queue depths, dead letters, stream length and pending entries. Herald's own operational events are counted apart, under `operational`.",
    access: 'admin',
    responses: { 200: json('The statistics.', statsSchema) },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/tokens',
    operationId: 'createToken',
    tags: ['Tokens'],
    summary: 'Create a tenant token',
    description: 'A bearer token that acts for one tenant only. It is shown only in this answer and stored as a SHA-256 hash.',
    access: 'admin',
    request: { body: { required: true, content: { 'application/json': { schema: createTokenSchema } } } },
    responses: { 201: json('The token, shown once.', createdTokenSchema) },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/tokens',
    operationId: 'listTokens',
    tags: ['Tokens'],
    summary: 'List tenant tokens',
    description: 'The tokens the admin created (never the tokens themselves).',
    access: 'admin',
    responses: { 200: json('The tokens.', tokenListSchema) },
  });

  registerV1(registry, {
    method: 'delete',
    path: '/v1/tokens/{id}',
    operationId: 'revokeToken',
    tags: ['Tokens'],
    summary: 'Revoke a tenant token',
    access: 'admin',
    request: { params: idParam('The token id (`tok_…`).') },
    responses: { 204: { description: 'Revoked.' } },
    errors: { 404: 'No such token.' },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/config/apply',
    operationId: 'applyConfig',
    tags: ['Configuration'],
    summary: 'Apply a declarative configuration',
    description:
      'Webhooks matched by (tenant, name): creates what is missing, updates what differs (fields left out go back to their defaults), leaves the rest alone; nothing is duplicated, so applying the same document again changes nothing. ' +
      '`${env.NAME}` references are refused (`herald apply` resolves them before sending). The document is all or nothing.',
    access: 'admin',
    request: {
      query: configApplyQuerySchema,
      body: {
        required: true,
        content: {
          'application/json': { schema: configFileSchema },
          'application/yaml': { schema: { type: 'string', description: 'The same document as YAML (also application/x-yaml, text/yaml).' } },
        },
      },
    },
    responses: { 200: json('What was (or, on a dry run, would be) created, updated and left unchanged.', configApplyResultSchema) },
    errors: {
      400: 'An invalid document (fields named as `webhooks.<index>.<field>`), a name twice for one tenant, an `${env.NAME}` reference, or invalid YAML.',
      415: 'A body neither JSON nor YAML.',
    },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/secrets/reencrypt',
    operationId: 'reencryptSecrets',
    tags: ['Configuration'],
    summary: 'Rewrite every stored secret under the current encryption key',
    description:
      'After HERALD_ENCRYPTION_KEY is set or rotated (the old key in HERALD_ENCRYPTION_KEY_PREVIOUS), rewrites every webhook whose signing secrets, credentials or keys are stored in plain text or under the previous key. Safe to run again and beside other writers; `updatedAt` does not change.',
    access: 'admin',
    responses: { 200: json('How many webhooks were rewritten, and which could not be opened.', reencryptResultSchema) },
  });
}
