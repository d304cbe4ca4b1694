// The fetch the generated client calls: per-attempt timeouts, retries with backoff, and failures
// without an answer turned into HeraldNetworkError.
import { HeraldNetworkError } from './errors/herald-network-error';
import { isIdempotentMethod, retryAfterMs, retryDelayMs, shouldRetry, type RetryOptions } from './retry';

export interface TransportOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  retry: RetryOptions;
  random?: () => number;
}

export interface CallOptions {
  /** Safe to send again after a 503 or a lost connection; default: by method (GET, PUT, DELETE, …). */
  idempotent?: boolean;
  /** This call's timeout per attempt, instead of the client's. */
  timeoutMs?: number;
}

export type Fetch = (request: Request) => Promise<Response>;

/** A timer of the platform's own (no Node module), so the client also runs in browsers. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A fetch for one kind of call: `call` says whether it may be repeated and how long to wait. */
export function transport(options: TransportOptions, call: CallOptions = {}): Fetch {
  const timeoutMs = call.timeoutMs ?? options.timeoutMs;
  return async (request) => {
    const idempotent = call.idempotent ?? isIdempotentMethod(request.method);
    for (let retry = 1; ; retry++) {
      let response: Response;
      try {
        // A clone per attempt: the body of the original stays unread for the next one.
        response = await options.fetch(request.clone(), { signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        const failure = networkError(request, error, timeoutMs);
        const delay = shouldRetry({ networkError: true }, idempotent) ? retryDelayMs(retry, options.retry, undefined, options.random) : null;
        if (delay === null) throw failure;
        await sleep(delay);
        continue;
      }
      if (!shouldRetry(response, idempotent)) return response;
      const delay = retryDelayMs(retry, options.retry, retryAfterMs(response.headers.get('retry-after'), Date.now()), options.random);
      if (delay === null) return response;
      // The answer is dropped: read it, so that its connection can serve the next attempt.
      await response.arrayBuffer().catch(() => undefined);
      await sleep(delay);
    }
  };
}

function networkError(request: Request, error: unknown, timeoutMs: number): HeraldNetworkError {
  const name = (error as Error | undefined)?.name;
  const where = `${request.method} ${new URL(request.url).origin}${new URL(request.url).pathname}`;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new HeraldNetworkError(`${where}: no answer within ${timeoutMs} ms`, true, 'timeout', { cause: error });
  }
  // undici puts the system's code on the cause, or on the first of its errors when it tried several addresses.
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[]; message?: string } }).cause;
  const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message;
  return new HeraldNetworkError(`${where}: cannot reach the Herald API (${reason})`, false, reason, { cause: error });
}
