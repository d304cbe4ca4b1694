// The generated client, and turning its results into values or HeraldApiErrors.
import createClient from 'openapi-fetch';
import { HeraldApiError } from '../errors/herald-api-error';
import type { paths } from '../generated/openapi';
import { transport, type CallOptions, type TransportOptions } from '../transport';
import type { Problem, TimeInput } from '../types';

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** What every resource needs: the generated client, and a fetch for calls with their own settings. */
export interface RequestContext {
  api: ApiClient;
  fetchFor(call: CallOptions): (request: Request) => Promise<Response>;
}

export function requestContext(options: { baseUrl: string; headers: Record<string, string> } & TransportOptions): RequestContext {
  const api = createClient<paths>({ baseUrl: options.baseUrl, headers: options.headers, fetch: transport(options) });
  return { api, fetchFor: (call) => transport(options, call) };
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or a HeraldApiError carrying its problem+json. */
export function unwrap<T>(result: Result<T>): T {
  if (result.response.ok) return result.data as T;
  throw new HeraldApiError(result.response.status, asProblem(result.error, result.response));
}

/** The problem+json body, or one made up for an answer that has none (a proxy's HTML page, say). */
function asProblem(body: unknown, response: Response): Problem {
  if (body && typeof body === 'object' && typeof (body as Problem).title === 'string' && typeof (body as Problem).status === 'number') {
    return body as Problem;
  }
  const text = typeof body === 'string' ? body.slice(0, 500) : undefined;
  return { type: 'about:blank', title: response.statusText || `HTTP ${response.status}`, status: response.status, ...(text ? { detail: text } : {}) };
}

/** A time for a query or body: Dates as ISO-8601, the rest as given. */
export function timeParam(time: TimeInput | undefined): string | number | undefined {
  return time instanceof Date ? time.toISOString() : time;
}
