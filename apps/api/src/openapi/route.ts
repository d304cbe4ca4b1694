// Registers one documented operation: /v1 routes get the bearer scheme, their 401 and 503 answers,
// and a line saying which token may call them.
import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problems, type ProblemStatus } from './problems';

export const BEARER_SCHEME = 'bearerAuth';

/** Who may call a /v1 route. */
export type Access = 'admin' | 'any';

const ACCESS_TEXT: Record<Access, string> = {
  admin: '**Token:** the admin token only (403 for a tenant token).',
  any: '**Token:** the admin token, or a tenant token (which sees and changes only its own tenant\'s).',
};

export interface V1Route extends Omit<RouteConfig, 'responses' | 'security'> {
  access: Access;
  /** Success answers. */
  responses: Record<string, ResponseConfig>;
  /** Error answers besides 401 and 503, which every /v1 route may give (a text given for 503 replaces the usual one). */
  errors?: Partial<Record<ProblemStatus, string | true>>;
}

export function registerV1(registry: OpenAPIRegistry, route: V1Route): void {
  const { access, errors = {}, responses, description, ...rest } = route;
  // Express answers these before any handler: a body that is not JSON or over the limit, a bad %-escape.
  const implicit: Partial<Record<ProblemStatus, string | true>> = {
    ...(route.request?.params || ['post', 'patch', 'put'].includes(route.method) ? { 400: true } : {}),
    ...(['post', 'patch', 'put'].includes(route.method) ? { 413: 'The body is over 1 MiB; `detail` names the limit.' } : {}),
  };
  registry.registerPath({
    ...rest,
    description: [description, ACCESS_TEXT[access]].filter(Boolean).join('\n\n'),
    security: [{ [BEARER_SCHEME]: [] }],
    'x-herald-token': access,
    responses: {
      ...responses,
      ...problems({ ...implicit, 401: true, ...(access === 'admin' ? { 403: 'Not the admin token.' } : {}), 503: true, ...errors }),
    },
  });
}

/** The `{id}` path parameter. */
export function idParam(description: string) {
  return z.object({ id: z.string().min(1).meta({ description }) });
}

/** A JSON response. */
export function json(description: string, schema: z.ZodType, headers?: ResponseConfig['headers']): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}
