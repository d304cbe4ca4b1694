// Evaluates a parsed filter against an envelope: `compileMatcher` for fan-out, `explainMismatch` to say why not.
import type { FieldCondition, FilterNode } from './parse-filter';
import { compareCodePoints, jsonEqual, showValue } from './filter-values';

/** A compiled filter or condition: whether a value (the envelope, or a field's value) passes. */
export type Matcher = (value: unknown) => boolean;

/**
 * Compiles a parsed filter into nested closures, each condition's operand prepared once (a `$in`
 * list as a set, an ordering operator for its operand's type): evaluating then allocates nothing.
 */
export function compileMatcher(node: FilterNode): Matcher {
  switch (node.kind) {
    case 'and':
      return allOf(node.parts.map(compileMatcher));
    case 'or': {
      const parts = node.parts.map(compileMatcher);
      return (value) => {
        for (const part of parts) if (part(value)) return true;
        return false;
      };
    }
    case 'not': {
      const part = compileMatcher(node.part);
      return (value) => !part(value);
    }
    case 'field': {
      const { name } = node;
      const inherited = isInherited(name);
      const test = allOf(node.conditions.map(conditionMatcher));
      return (value) => test(ownField(value, name, inherited));
    }
    case 'nested': {
      const { name } = node;
      const inherited = isInherited(name);
      const inner = compileMatcher(node.filter);
      const below = node.filter;
      if (below.kind === 'field') {
        // One field below (`{"data": {"amount": …}}`, the commonest shape): read both in one step.
        const belowName = below.name;
        const belowInherited = isInherited(belowName);
        const test = allOf(below.conditions.map(conditionMatcher));
        return (value) => {
          const field = ownField(value, name, inherited);
          if (field === undefined) return false;
          return Array.isArray(field) ? field.some(inner) : test(ownField(field, belowName, belowInherited));
        };
      }
      return (value) => {
        const field = ownField(value, name, inherited);
        if (field === undefined) return false;
        return Array.isArray(field) ? field.some(inner) : inner(field);
      };
    }
  }
}

/**
 * Every one of the tests. The order does not change the answer, only its cost: a test that fails
 * moves to the front, so that a filter refusing event after event for the same reason (what most
 * filters do at fan-out) runs that test first and stops there.
 */
function allOf(tests: Matcher[]): Matcher {
  const [only, other] = tests;
  if (tests.length === 1 && only) return only;
  if (tests.length === 2 && only && other) {
    // Two tests (a range, a type and a field), the commonest: the order kept in two variables.
    let first = only;
    let second = other;
    return (value) => {
      if (!first(value)) return false;
      if (second(value)) return true;
      [first, second] = [second, first];
      return false;
    };
  }
  const order = [...tests];
  return (value) => {
    for (let i = 0; i < order.length; i++) {
      const test = order[i] as Matcher;
      if (test(value)) continue;
      if (i > 0) {
        order[i] = order[0] as Matcher;
        order[0] = test;
      }
      return false;
    }
    return true;
  };
}

/**
 * Whether objects have a property of this name that is not their own: event data comes from
 * JSON.parse, so for any other name a property present is the object's own.
 */
function isInherited(name: string): boolean {
  return name in Object.prototype;
}

/** A field's own value; undefined when missing (also below anything that is not an object). */
function ownField(value: unknown, name: string, inherited: boolean): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (inherited && !Object.hasOwn(value, name)) return undefined;
  return (value as Record<string, unknown>)[name];
}

/** The first condition the value fails, in words (`data.amount: 50 is not >= 100`); undefined when it matches. */
export function explainMismatch(node: FilterNode, value: unknown): string | undefined {
  switch (node.kind) {
    case 'and':
      for (const part of node.parts) {
        const reason = explainMismatch(part, value);
        if (reason !== undefined) return reason;
      }
      return undefined;
    case 'or': {
      if (node.parts.some((part) => compileMatcher(part)(value))) return undefined;
      const first = node.parts[0];
      return `$or: no alternative matched (the first: ${first ? explainMismatch(first, value) : 'none given'})`;
    }
    case 'not': {
      if (!compileMatcher(node.part)(value)) return undefined;
      return `$not: what it holds matched`;
    }
    case 'field': {
      const field = ownField(value, node.name, isInherited(node.name));
      const failed = node.conditions.find((condition) => !conditionMatcher(condition)(field));
      if (failed === undefined) return undefined;
      if (field === undefined) return `${node.path}: is missing`;
      if (failed.op === '$exist') return `${node.path}: is present`;
      return `${node.path}: ${showValue(field)} ${PHRASES[failed.op]} ${showValue(failed.operand)}`;
    }
    case 'nested': {
      const field = ownField(value, node.name, isInherited(node.name));
      if (field === undefined) return `${node.path}: is missing`;
      if (!Array.isArray(field)) return explainMismatch(node.filter, field);
      if (field.some(compileMatcher(node.filter))) return undefined;
      const first = field[0];
      return `${node.path}: no element matches${field.length > 0 ? ` (the first: ${explainMismatch(node.filter, first)})` : ' (the list is empty)'}`;
    }
  }
}

const PHRASES: Record<Exclude<FieldCondition['op'], '$exist'>, string> = {
  $eq: 'is not',
  $neq: 'is',
  $gt: 'is not >',
  $gte: 'is not >=',
  $lt: 'is not <',
  $lte: 'is not <=',
  $in: 'is not in',
  $nin: 'is in',
  $all: 'does not hold all of',
  $contains: 'does not contain',
  $startsWith: 'does not start with',
  $endsWith: 'does not end with',
};


/**
 * Whether a field's value meets one condition, as a closure. A missing field (undefined) meets only
 * `{"$exist": false}`; against an array, a condition holds when it holds for the array itself or
 * any of its elements (`$neq` and `$nin`: for neither).
 */
function conditionMatcher(condition: FieldCondition): Matcher {
  switch (condition.op) {
    case '$exist':
      return condition.operand ? (value) => value !== undefined : (value) => value === undefined;
    case '$all': {
      const wanted = condition.operand;
      return (value) => Array.isArray(value) && wanted.every((item) => value.includes(item));
    }
    case '$neq':
    case '$nin': {
      const test = elementMatcher(condition);
      return (value) => value !== undefined && !(test(value) || (Array.isArray(value) && value.some(test)));
    }
    case '$eq': {
      const operand = condition.operand;
      if (operand !== null && typeof operand === 'object') break;
      // A scalar: the commonest condition, in one step (undefined never equals a JSON value).
      return (value) => value === operand || (Array.isArray(value) && value.includes(operand));
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const test = elementMatcher(condition);
      const operand = condition.operand;
      // A number or a string passes or fails as it is; only an array is looked into. Thresholds
      // are the commonest filters: a number against a number in one step.
      if (typeof operand === 'number') {
        if (condition.op === '$gt') return (value) => (typeof value === 'number' ? value > operand : Array.isArray(value) && value.some(test));
        if (condition.op === '$gte') return (value) => (typeof value === 'number' ? value >= operand : Array.isArray(value) && value.some(test));
        if (condition.op === '$lt') return (value) => (typeof value === 'number' ? value < operand : Array.isArray(value) && value.some(test));
        return (value) => (typeof value === 'number' ? value <= operand : Array.isArray(value) && value.some(test));
      }
      return (value) => (Array.isArray(value) ? value.some(test) : test(value));
    }
  }
  const test = elementMatcher(condition);
  return (value) => value !== undefined && (test(value) || (Array.isArray(value) && value.some(test)));
}

/** The test a condition makes of one value (the field's, or one element of it). */
function elementMatcher(condition: Exclude<FieldCondition, { op: '$exist' | '$all' }>): Matcher {
  switch (condition.op) {
    case '$eq':
    case '$neq': {
      const operand = condition.operand;
      return operand === null || typeof operand !== 'object' ? (item) => item === operand : (item) => jsonEqual(item, operand);
    }
    case '$in':
    case '$nin': {
      const members = new Set<unknown>(condition.operand);
      return (item) => members.has(item);
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return ordered(condition.op, condition.operand);
    case '$contains': {
      const text = condition.operand;
      return (item) => typeof item === 'string' && item.includes(text);
    }
    case '$startsWith': {
      const text = condition.operand;
      return (item) => typeof item === 'string' && item.startsWith(text);
    }
    case '$endsWith': {
      const text = condition.operand;
      return (item) => typeof item === 'string' && item.endsWith(text);
    }
  }
}

/** An ordering test against a number or a string operand (strings by code point); a value of another type never passes. */
function ordered(op: '$gt' | '$gte' | '$lt' | '$lte', operand: number | string): Matcher {
  if (typeof operand === 'number') {
    if (op === '$gt') return (item) => typeof item === 'number' && item > operand;
    if (op === '$gte') return (item) => typeof item === 'number' && item >= operand;
    if (op === '$lt') return (item) => typeof item === 'number' && item < operand;
    return (item) => typeof item === 'number' && item <= operand;
  }
  const order = (item: unknown) => (typeof item === 'string' ? compareCodePoints(item, operand) : Number.NaN);
  if (op === '$gt') return (item) => order(item) > 0;
  if (op === '$gte') return (item) => order(item) >= 0;
  if (op === '$lt') return (item) => order(item) < 0;
  return (item) => order(item) <= 0;
}
