import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { deadLetterListQuerySchema, replayBodySchema } from '../../routes/dead-letters';
import { deadLetterDetailSchema, deadLetterPageSchema, replayResultSchema } from '../../schemas/responses';
import { idParam, json, registerV1 } from '../route';

const TAG = 'Dead letters';
const deadLetterId = idParam('The dead letter id: `<eventId>.<webhookId>`.');
const NOT_FOUND = 'No such dead letter (or one of another tenant).';

export function registerDeadLetterPaths(registry: OpenAPIRegistry): void {
  registerV1(registry, {
    method: 'get',
    path: '/v1/dead-letters',
    operationId: 'listDeadLetters',
    tags: [TAG],
    summary: 'List dead letters',
    description: 'Deliveries that failed for good, newest first, a page at a time: pass `next` back as `cursor` for the next page.',
    access: 'any',
    request: { query: deadLetterListQuerySchema },
    responses: { 200: json('A page of dead letters.', deadLetterPageSchema) },
    errors: { 400: 'An invalid filter, or a cursor this API did not return.' },
  });

  registerV1(registry, {
    method: 'get',
    path: '/v1/dead-letters/{id}',
    operationId: 'getDeadLetter',
    tags: [TAG],
    summary: 'Read a dead letter',
    access: 'any',
    request: { params: deadLetterId },
    responses: { 200: json('The dead letter with its attempts.', deadLetterDetailSchema) },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'delete',
    path: '/v1/dead-letters/{id}',
    operationId: 'purgeDeadLetter',
    tags: [TAG],
    summary: 'Purge a dead letter',
    description: 'Deletes it for good.',
    access: 'any',
    request: { params: deadLetterId },
    responses: { 204: { description: 'Purged.' } },
    errors: { 404: NOT_FOUND },
  });

  registerV1(registry, {
    method: 'post',
    path: '/v1/dead-letters/replay',
    operationId: 'replayDeadLetters',
    tags: [TAG],
    summary: 'Replay dead letters',
    description:
      'Turns dead letters back into deliveries: fresh attempts with the same delivery id and `webhook-id`. Give `ids`, or a filter (which takes only what was parked before the call). ' +
      'Dead letters whose webhook is deleted or disabled are skipped and kept. Replaying an id twice is harmless: the second time it is skipped as not found.',
    access: 'any',
    request: { body: { required: true, content: { 'application/json': { schema: replayBodySchema } } } },
    responses: { 202: json('What was replayed and what was skipped.', replayResultSchema) },
  });
}
