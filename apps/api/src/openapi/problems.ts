// The error answers of the API's operations, as OpenAPI responses: problem+json, one text per status.
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { problemSchema } from '../schemas/responses';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503;

const DEFAULT_TEXT: Record<ProblemStatus, string> = {
  400: 'Invalid input: `errors` names each failing field and says why. Never a 500 for bad input.',
  401: 'No bearer token, or an unknown one.',
  403: 'A tenant token naming another tenant, or calling an admin-only route.',
  404: 'No such resource (or one of another tenant).',
  409: 'A conflict with the current state.',
  413: 'The body is over its limit; `detail` names the limit.',
  415: 'The body is of a media type this route does not take.',
  503: '`title` says why; retry after `Retry-After` seconds. "Service unavailable": Redis does not answer (within HERALD_REDIS_COMMAND_TIMEOUT_MS per command). "Storage full": Redis is at its memory limit and refused the write; nothing was written.',
};

const HEADERS: Partial<Record<ProblemStatus, ResponseConfig['headers']>> = {
  401: { 'WWW-Authenticate': { description: '`Bearer`, when no token was sent.', schema: { type: 'string' } } },
  503: { 'Retry-After': { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string', example: '5' } } },
};

/** Problem responses for `statuses`, with the default text or the one given. */
export function problems(statuses: Partial<Record<ProblemStatus, string | true>>): Record<string, ResponseConfig> {
  const responses: Record<string, ResponseConfig> = {};
  for (const [key, text] of Object.entries(statuses)) {
    const status = Number(key) as ProblemStatus;
    const headers = HEADERS[status];
    responses[key] = {
      description: text === true || text === undefined ? DEFAULT_TEXT[status] : text,
      ...(headers ? { headers } : {}),
      content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
    };
  }
  return responses;
}
