// What the console says when the API refuses or cannot be reached: a sentence a person can act on.
import { HeraldApiError, HeraldNetworkError, type FieldError } from '@herald/sdk/browser';

export function describeError(error: unknown): string {
  if (error instanceof HeraldNetworkError) {
    return error.timedOut
      ? 'The Herald API did not answer in time. Check that it is running, then try again.'
      : 'Cannot reach the Herald API. Check that it is running and that this page is served by it, then try again.';
  }
  if (error instanceof HeraldApiError) {
    const { status, problem } = error;
    if (status === 401) return 'The API refused the token. Sign out and sign in again with a valid token.';
    if (status === 403) return `Not allowed with this token: ${problem.detail ?? problem.title}.`;
    // Other 503s (Storage full, Backlog full) say why in their own words, below.
    if (status === 503 && problem.title === 'Service unavailable') return 'The Herald API cannot reach its storage (Redis) right now. Try again shortly.';
    // The error's message is the problem in words (title, detail and each failing field).
    return `The API refused the request (${status}): ${error.message}`;
  }
  if (isChunkLoadError(error)) {
    return 'Cannot reach the Herald API to load this page. Check that it is running and that this page is served by it, then reload.';
  }
  return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
}

/** The problem+json `errors[]` of a refusal, or none. */
export function fieldErrorsOf(error: unknown): FieldError[] {
  return error instanceof HeraldApiError ? (error.problem.errors ?? []) : [];
}

export function isForbidden(error: unknown): boolean {
  return error instanceof HeraldApiError && error.status === 403;
}

/** A page's code that the browser could not fetch (Chromium, Firefox and Safari word it differently). */
function isChunkLoadError(error: unknown): boolean {
  return error instanceof TypeError && /dynamically imported module|module script failed|error loading dynamically imported/i.test(error.message);
}
