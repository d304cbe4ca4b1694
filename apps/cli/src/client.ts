// The CLI's HTTP client for the Herald API, turning failures into errors with exit codes.

/** Exit codes: what a script calling `herald` can tell apart. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, unauthorized: 4, notFound: 5 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** The API's HTTP status, when the API refused the request. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export class HeraldApi {
  constructor(private readonly options: ApiClientOptions) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
      const reason = cause?.code ?? cause?.errors?.[0]?.code ?? (error as Error).message;
      throw new CliError(`cannot reach the Herald API at ${this.options.baseUrl} (${reason}); check HERALD_API_URL`, EXIT.unreachable);
    }
    const text = await response.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (response.ok) return parsed as T;
    const problem = (parsed ?? {}) as Problem;
    const fields = problem.errors?.map((e) => `\n  ${e.field}: ${e.message}`).join('') ?? '';
    const message = `${problem.title ?? `HTTP ${response.status}`}${problem.detail ? `: ${problem.detail}` : ''}${fields}`;
    if (response.status === 401 || response.status === 403) {
      throw new CliError(`${message}\n(check HERALD_TOKEN)`, EXIT.unauthorized);
    }
    if (response.status === 404) throw new CliError(message, EXIT.notFound, response.status);
    throw new CliError(message, EXIT.failed, response.status);
  }

  get<T>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete(path: string) {
    return this.request<void>('DELETE', path);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 500) };
  }
}
