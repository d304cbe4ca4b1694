// A filter made ready to run many times: parsed and checked once, then evaluated per event.
import { AppError } from '../errors/app-error';
import { compileMatcher, explainMismatch } from './evaluate-filter';
import { parseFilter, type FilterIssue, type FilterNode } from './parse-filter';

export interface CompiledFilter {
  /** Whether the envelope `{ id, type, tenant, timestamp, data }` passes. */
  matches(envelope: unknown): boolean;
  /** The first condition the envelope fails, in words; undefined when it passes. */
  explain(envelope: unknown): string | undefined;
}

/** A filter document that does not parse; `issues` name each problem's path within it. */
export class InvalidFilterError extends AppError {
  constructor(readonly issues: FilterIssue[]) {
    super('invalid_filter', `The filter is invalid: ${issues.map((issue) => `${issue.path.join('.') || '(filter)'}: ${issue.message}`).join('; ')}`);
  }
}

/** Compiles a filter document; throws InvalidFilterError for one that saving would have refused. */
export function compileFilter(document: unknown): CompiledFilter {
  const parsed = parseFilter(document);
  if (!parsed.ok) throw new InvalidFilterError(parsed.issues);
  const root: FilterNode = parsed.filter;
  return {
    matches: compileMatcher(root),
    explain: (envelope) => explainMismatch(root, envelope),
  };
}
