// RFC 9457 problem details: the only error shape the API answers with.
import type { ErrorRequestHandler, Response } from 'express';
import { BacklogFullError, StorageFullError, isRedisOutOfMemory, isRedisTopologyChange, plainMessages, protoKeyIssues, type Logger } from '@herald/shared';
import type { z } from 'zod';
import type { FieldError } from './schemas/responses';

export type { FieldError };

/** A deliberate HTTP error: its status and text reach the client as problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }
}

export function fieldErrors(error: z.ZodError, root?: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = [...(root ? [root] : []), ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
    }
    return [{ field: path.join('.') || '(body)', message: issue.message }];
  });
}

/** The 400 for input that names its failing fields: `errors` has each problem, the detail each field once. */
export function invalidFields(errors: FieldError[]): HttpProblem {
  const fields = [...new Set(errors.map((e) => e.field))];
  return new HttpProblem(400, 'Invalid request', `Invalid field(s): ${fields.join(', ')}`, errors);
}

/**
 * Parses `value` with `schema` or throws a 400 naming every failing field; `root` prefixes the
 * field paths when `value` sits inside the body (`events.3`).
 */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, root?: string): z.output<S> {
  const result = schema.safeParse(value, { error: plainMessages });
  // zod skips a "__proto__" key (in records too), which would drop it and its value silently.
  const protoErrors = protoKeyIssues(value).map(({ path, message }) => ({ field: [...(root ? [root] : []), ...path.map(String)].join('.'), message }));
  if (result.success && protoErrors.length === 0) return result.data;
  // zod reports a "__proto__" key it skipped only as an unknown field, if at all: it is named once.
  const named = new Set(protoErrors.map((error) => error.field));
  const errors = [...protoErrors, ...(result.success ? [] : fieldErrors(result.error, root).filter((error) => !named.has(error.field)))];
  throw invalidFields(errors);
}

export function sendProblem(res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
}

/** What a producer refused for a full backlog is told to wait: workers drain thousands of events a second once back. */
const BACKLOG_RETRY_AFTER_SECONDS = 5;

/** Redis frees memory as deliveries settle and retention expires: a while, not a moment. */
const STORAGE_RETRY_AFTER_SECONDS = 30;

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  /** For entity.too.large: the limit, in bytes. */
  limit?: number;
}

/** "1 MiB (1048576 bytes)": a size limit as people and programs read it. */
export function describeLimit(bytes: number): string {
  const mib = bytes / 1_048_576;
  return Number.isInteger(mib) ? `${mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
}

/** The last middleware: deliberate problems go out as they are, everything else is a logged 500. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof HttpProblem) return sendProblem(res, error);
    const parserError = error as BodyParserError;
    if (parserError.type === 'entity.too.large') {
      const limit = typeof parserError.limit === 'number' ? `the limit of ${describeLimit(parserError.limit)}` : 'the size limit';
      return sendProblem(res, new HttpProblem(413, 'Payload too large', `The request body exceeds ${limit}`));
    }
    if (parserError.type === 'entity.parse.failed') {
      return sendProblem(res, new HttpProblem(400, 'Malformed JSON', 'The request body is not valid JSON', [{ field: '(body)', message: 'is not valid JSON' }]));
    }
    // Errors from Express's own layers (body parser, router: a malformed %-escape) carry a 4xx status.
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      return sendProblem(res, new HttpProblem(parserError.status, 'Bad request', parserError.message));
    }
    if (error instanceof BacklogFullError) {
      logger.warn({ unread: error.unread, limit: error.limit }, 'events refused: the unread backlog is full');
      res.set('retry-after', String(BACKLOG_RETRY_AFTER_SECONDS));
      return sendProblem(res, new HttpProblem(503, 'Backlog full', `${error.message}; nothing was accepted, retry later`));
    }
    if (error instanceof StorageFullError || isRedisOutOfMemory(error)) {
      const full = error instanceof StorageFullError ? error : new StorageFullError('redis_oom');
      logger.warn({ err: full.message, path: req.path }, 'refused: Redis is full');
      res.set('retry-after', String(STORAGE_RETRY_AFTER_SECONDS));
      return sendProblem(res, new HttpProblem(503, 'Storage full', `${full.message}; nothing was written, retry later`));
    }
    if (isRedisUnavailable(error)) {
      logger.warn({ err: (error as Error).message, path: req.path }, 'redis unavailable');
      res.set('retry-after', '5');
      return sendProblem(res, new HttpProblem(503, 'Service unavailable', 'Storage is unreachable; retry shortly'));
    }
    if (isRedisTopologyChange(error)) {
      logger.warn({ err: (error as Error).message, path: req.path }, 'redis cluster moving or failing over');
      res.set('retry-after', '1');
      return sendProblem(res, new HttpProblem(503, 'Service unavailable', 'Storage is moving or failing over; retry shortly'));
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    return sendProblem(res, new HttpProblem(500, 'Internal server error'));
  };
}

function isRedisUnavailable(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? '';
  const message = (error as Error | undefined)?.message ?? '';
  // ioredis reports these as plain Errors: its command deadline ("Command timed out") among them.
  return name === 'MaxRetriesPerRequestError' || /Connection is closed|ECONNREFUSED|Stream isn't writeable|Command timed out/.test(message);
}
