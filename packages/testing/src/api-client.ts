/* eslint-disable @typescript-eslint/no-explicit-any -- test helper: responses are checked by the tests themselves */
// A small typed fetch wrapper for talking to a running API in tests. Every answer is checked against
// docs/openapi.json (and every request the API accepted), so the document cannot lie.
import { OpenApiValidator } from './openapi-validator';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClientOptions {
  /** Abort each call after this long, so that a hanging server fails a test instead of stalling it. */
  timeoutMs?: number;
  /**
   * Check each exchange against docs/openapi.json; a mismatch fails the call with an OpenApiMismatch.
   * @defaultValue true
   */
  validate?: boolean;
}

export function apiClient(baseUrl: string, token: string, options: ApiClientOptions = {}) {
  const validator = options.validate === false ? undefined : OpenApiValidator.fromRepository();
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const requestHeaders: Record<string, string> = {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    };
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: requestHeaders,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    validator?.assert({
      method,
      url: path,
      requestBody: body,
      requestContentType: Object.entries(requestHeaders).find(([name]) => name.toLowerCase() === 'content-type')?.[1],
      status: response.status,
      responseHeaders: Object.fromEntries(response.headers),
      responseBody: parsed,
    });
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
  return {
    call,
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, body, headers),
    patch: <T = any>(path: string, body?: unknown) => call<T>('PATCH', path, body),
    delete: <T = any>(path: string) => call<T>('DELETE', path),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;
