// The CLI's errors and exit codes, and the SDK client it talks to the API with.
import { Herald, HeraldApiError, HeraldNetworkError, describeProblem } from '@herald/sdk';

/** Exit codes: what a script calling `herald` can tell apart. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, unauthorized: 4, notFound: 5 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** How long one request may take: a test send waits for its endpoint (the SDK allows it longer). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The SDK client for one command. It does not retry: an operator sees a refusal or an unreachable
 * API at once, with its exit code, and decides.
 */
export function heraldClient(baseUrl: string, token: string): Herald {
  return new Herald({ baseUrl, token, timeoutMs: REQUEST_TIMEOUT_MS, retry: { maxRetries: 0 } });
}

/** The CliError (with its exit code) for what the SDK threw; undefined for anything else. */
export function toCliError(error: unknown, baseUrl: string): CliError | undefined {
  if (error instanceof HeraldNetworkError) {
    const reason = error.timedOut ? 'no answer in time' : error.reason;
    return new CliError(`cannot reach the Herald API at ${baseUrl} (${reason}); check HERALD_API_URL`, EXIT.unreachable);
  }
  if (!(error instanceof HeraldApiError)) return undefined;
  const message = describeProblem(error.problem, { fieldsOnLines: true });
  if (error.status === 401 || error.status === 403) return new CliError(`${message}\n(check HERALD_TOKEN)`, EXIT.unauthorized);
  if (error.status === 404) return new CliError(message, EXIT.notFound);
  return new CliError(message, EXIT.failed);
}
