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
    super(describeProblem(problem), 'api_error');
  }
}

/**
 * A problem in words: "Invalid request: Invalid field(s): url (url: required)"; with
 * `{ fieldsOnLines: true }`, each failing field on a line of its own instead (for a terminal).
 */
export function describeProblem(problem: Problem, { fieldsOnLines = false } = {}): string {
  const summary = `${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`;
  const fields = problem.errors?.map((e) => `${e.field}: ${e.message}`) ?? [];
  if (fields.length === 0) return summary;
  return fieldsOnLines ? `${summary}${fields.map((field) => `\n  ${field}`).join('')}` : `${summary} (${fields.join('; ')})`;
}
