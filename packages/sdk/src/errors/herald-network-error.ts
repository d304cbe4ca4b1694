import { HeraldError } from './herald-error';

/** No answer from the API: it could not be reached, the connection failed, or the request timed out. */
export class HeraldNetworkError extends HeraldError {
  override readonly name = 'HeraldNetworkError';

  constructor(
    message: string,
    /** True when the request was abandoned after the client's `timeoutMs`. */
    readonly timedOut: boolean,
    /** Why, in a word where the system gave one: `ECONNREFUSED`, `ENOTFOUND`, `timeout`, … */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, timedOut ? 'timeout' : 'network_error', options);
  }
}
