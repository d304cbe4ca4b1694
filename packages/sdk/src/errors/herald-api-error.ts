import type { Problem } from '../types';
import { HeraldError } from './herald-error';

/** The API answered with an error: `status` is its HTTP status, `problem` its problem+json body. */
export class HeraldApiError extends HeraldError {
  override readonly name = 'HeraldApiError';

  constructor(
    readonly status: number,
    /** RFC 9457 problem details; for invalid input, `errors` names each failing field. */
    readonly problem: Problem,
  ) {
    super(HeraldApiError.describe(problem), 'api_error');
  }

  /** "Invalid request: Invalid field(s): url (url: required)". */
  private static describe(problem: Problem): string {
    const fields = problem.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
    return `${problem.title}${problem.detail ? `: ${problem.detail}` : ''}${fields ? ` (${fields})` : ''}`;
  }
}
