// Reads a filter document (JSON) into the tree evaluation walks, or says what is wrong with it and where.
import { jsonDepth } from '../schemas/common';
import { ENVELOPE_FIELDS, FILTER_LIMITS } from './filter-limits';
import { isPlainObject, isScalar, type JsonScalar } from './filter-values';

export const FIELD_OPERATORS = [
  '$eq', '$neq', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$all', '$contains', '$startsWith', '$endsWith', '$exist',
] as const;
export const LOGICAL_OPERATORS = ['$and', '$or', '$not'] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

export type FieldCondition =
  | { op: '$eq' | '$neq'; operand: unknown }
  | { op: '$gt' | '$gte' | '$lt' | '$lte'; operand: number | string }
  | { op: '$in' | '$nin'; operand: readonly JsonScalar[] }
  | { op: '$all'; operand: readonly JsonScalar[] }
  | { op: '$contains' | '$startsWith' | '$endsWith'; operand: string }
  | { op: '$exist'; operand: boolean };

/** A parsed filter. `path` is where a field sits in the envelope, dotted, for explanations. */
export type FilterNode =
  | { kind: 'and'; parts: FilterNode[] }
  | { kind: 'or'; parts: FilterNode[] }
  | { kind: 'not'; part: FilterNode }
  /** Operators (or an implicit `$eq`) on one field: all must hold. */
  | { kind: 'field'; name: string; path: string; conditions: FieldCondition[] }
  /** A match document for the fields below one field. */
  | { kind: 'nested'; name: string; path: string; filter: FilterNode };

export interface FilterIssue {
  path: (string | number)[];
  message: string;
}

export type ParsedFilter = { ok: true; filter: FilterNode } | { ok: false; issues: FilterIssue[] };

const SCALAR_LIST = 'must be a list of strings, numbers, booleans or nulls';

/** Parses a filter document; every problem is reported with its path (`data.amount.$gte`). */
export function parseFilter(document: unknown): ParsedFilter {
  if (!isPlainObject(document)) return fail([], 'must be a JSON object (a match document)');
  const bytes = new TextEncoder().encode(JSON.stringify(document)).length;
  if (bytes > FILTER_LIMITS.maxBytes) return fail([], `must be at most ${FILTER_LIMITS.maxBytes} bytes as JSON (is ${bytes})`);
  if (jsonDepth(document) > FILTER_LIMITS.maxDepth) return fail([], `must not nest deeper than ${FILTER_LIMITS.maxDepth} levels`);
  const parser = new FilterParser();
  const filter = parser.document(document, [], []);
  if (parser.nodes > FILTER_LIMITS.maxNodes) {
    return fail([], `must have at most ${FILTER_LIMITS.maxNodes} field names and operators (has ${parser.nodes})`);
  }
  return parser.issues.length > 0 ? { ok: false, issues: parser.issues } : { ok: true, filter };
}

function fail(path: (string | number)[], message: string): ParsedFilter {
  return { ok: false, issues: [{ path, message }] };
}

class FilterParser {
  readonly issues: FilterIssue[] = [];
  /** Field names and operators seen. */
  nodes = 0;

  /**
   * A match document: field names and logical operators, all of which must hold. `at` is the
   * issue path, `fieldPath` the envelope fields above (empty at the top, where only the
   * envelope's own fields may be named).
   */
  document(document: Record<string, unknown>, at: (string | number)[], fieldPath: string[]): FilterNode {
    const parts: FilterNode[] = [];
    for (const [key, value] of Object.entries(document)) {
      this.nodes += 1;
      const here = [...at, key];
      if (key.startsWith('$')) {
        const part = this.logical(key, value, here, fieldPath);
        if (part) parts.push(part);
        continue;
      }
      if (fieldPath.length === 0 && !(ENVELOPE_FIELDS as readonly string[]).includes(key)) {
        this.issue(here, `is not a field of the event (a filter sees ${ENVELOPE_FIELDS.join(', ')})`);
        continue;
      }
      const part = this.field(key, value, here, fieldPath);
      if (part) parts.push(part);
    }
    return parts.length === 1 ? (parts[0] as FilterNode) : { kind: 'and', parts };
  }

  private logical(key: string, value: unknown, at: (string | number)[], fieldPath: string[]): FilterNode | undefined {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) return this.issue(at, 'must be a non-empty list of match documents');
      const parts: FilterNode[] = [];
      value.forEach((item, index) => {
        if (isPlainObject(item)) parts.push(this.document(item, [...at, index], fieldPath));
        else this.issue([...at, index], 'must be a match document (a JSON object)');
      });
      return { kind: key === '$and' ? 'and' : 'or', parts };
    }
    if (key === '$not') {
      if (!isPlainObject(value)) return this.issue(at, 'must be a match document (a JSON object)');
      return { kind: 'not', part: this.document(value, at, fieldPath) };
    }
    if ((FIELD_OPERATORS as readonly string[]).includes(key)) {
      return this.issue(at, `applies to a field: write it under a field name, as {"amount": {"${key}": …}}`);
    }
    return this.issue(at, `is not an operator (known: ${[...LOGICAL_OPERATORS, ...FIELD_OPERATORS].join(' ')})`);
  }

  /**
   * What a field must be: an object of operators, a match document for the fields below it, or
   * any other value, which it must equal.
   */
  private field(name: string, value: unknown, at: (string | number)[], fieldPath: string[]): FilterNode | undefined {
    const path = [...fieldPath, name].join('.');
    if (!isPlainObject(value)) return { kind: 'field', name, path, conditions: [{ op: '$eq', operand: value }] };
    const keys = Object.keys(value);
    if (keys.length === 0) return this.issue(at, 'is an empty object: give operators or fields below it, or {"$eq": {}} to match an empty object');
    // Field operators make an operator object; field names and $and/$or/$not a document for the fields below.
    const operators = keys.filter((key) => key.startsWith('$') && !(LOGICAL_OPERATORS as readonly string[]).includes(key));
    if (operators.length === 0) return { kind: 'nested', name, path, filter: this.document(value, at, [...fieldPath, name]) };
    if (operators.length < keys.length) {
      return this.issue(at, 'mixes operators and field names: put the fields below in a document of their own, or combine with $and');
    }
    const conditions: FieldCondition[] = [];
    for (const [op, operand] of Object.entries(value)) {
      this.nodes += 1;
      const condition = this.condition(op, operand, [...at, op]);
      if (condition) conditions.push(condition);
    }
    return { kind: 'field', name, path, conditions };
  }

  private condition(op: string, operand: unknown, at: (string | number)[]): FieldCondition | undefined {
    switch (op) {
      case '$eq':
      case '$neq':
        return { op, operand };
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand === 'number' || typeof operand === 'string') return { op, operand };
        return this.issue(at, 'must be a number or a string');
      case '$in':
      case '$nin':
      case '$all': {
        if (!Array.isArray(operand)) return this.issue(at, SCALAR_LIST);
        if (operand.length > FILTER_LIMITS.maxListLength) return this.issue(at, `must have at most ${FILTER_LIMITS.maxListLength} values`);
        if (op === '$all' && operand.length === 0) return this.issue(at, 'must have at least 1 value');
        const bad = operand.findIndex((item) => !isScalar(item));
        if (bad >= 0) return this.issue([...at, bad], 'must be a string, a number, a boolean or null');
        return { op, operand: operand as JsonScalar[] };
      }
      case '$contains':
      case '$startsWith':
      case '$endsWith':
        if (typeof operand === 'string') return { op, operand };
        return this.issue(at, 'must be a string');
      case '$exist':
        if (typeof operand === 'boolean') return { op, operand };
        return this.issue(at, 'must be true or false');
      default:
        if ((LOGICAL_OPERATORS as readonly string[]).includes(op)) {
          return this.issue(at, `combines match documents: write it beside field names, as {"${op}": [{"amount": …}, …]}`);
        }
        return this.issue(at, `is not an operator (known: ${[...FIELD_OPERATORS, ...LOGICAL_OPERATORS].join(' ')})`);
    }
  }

  private issue(path: (string | number)[], message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }
}
