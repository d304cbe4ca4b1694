// Evaluates a parsed filter against an envelope: `matches` for fan-out, `explainMismatch` to say why not.
import type { FieldCondition, FilterNode } from './parse-filter';
import { compareOrdered, isPlainObject, jsonEqual, showValue } from './filter-values';

/** Whether `value` (the envelope, or a field's value below it) passes the filter. */
export function matches(node: FilterNode, value: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return node.parts.every((part) => matches(part, value));
    case 'or':
      return node.parts.some((part) => matches(part, value));
    case 'not':
      return !matches(node.part, value);
    case 'field': {
      const field = fieldOf(value, node.name);
      return node.conditions.every((condition) => holds(condition, field));
    }
    case 'nested': {
      const field = fieldOf(value, node.name);
      if (field === undefined) return false;
      return Array.isArray(field) ? field.some((item) => matches(node.filter, item)) : matches(node.filter, field);
    }
  }
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
      if (node.parts.some((part) => matches(part, value))) return undefined;
      const first = node.parts[0];
      return `$or: no alternative matched (the first: ${first ? explainMismatch(first, value) : 'none given'})`;
    }
    case 'not': {
      if (!matches(node.part, value)) return undefined;
      return `$not: what it holds matched`;
    }
    case 'field': {
      const field = fieldOf(value, node.name);
      const failed = node.conditions.find((condition) => !holds(condition, field));
      if (failed === undefined) return undefined;
      if (field === undefined) return `${node.path}: is missing`;
      if (failed.op === '$exist') return `${node.path}: is present`;
      return `${node.path}: ${showValue(field)} ${PHRASES[failed.op]} ${showValue(failed.operand)}`;
    }
    case 'nested': {
      const field = fieldOf(value, node.name);
      if (field === undefined) return `${node.path}: is missing`;
      if (!Array.isArray(field)) return explainMismatch(node.filter, field);
      if (field.some((item) => matches(node.filter, item))) return undefined;
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

/** A field's own value; undefined when missing (also below anything that is not an object). */
function fieldOf(value: unknown, name: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, name) ? value[name] : undefined;
}

/** Whether a field's value meets one condition. A missing field meets only `{"$exist": false}`. */
function holds(condition: FieldCondition, value: unknown): boolean {
  if (value === undefined) return condition.op === '$exist' && !condition.operand;
  switch (condition.op) {
    case '$exist':
      return condition.operand;
    case '$eq':
      return anyOf(value, (item) => jsonEqual(item, condition.operand));
    case '$neq':
      return !anyOf(value, (item) => jsonEqual(item, condition.operand));
    case '$gt':
      return anyOf(value, (item) => (compareOrdered(item, condition.operand) ?? Number.NaN) > 0);
    case '$gte':
      return anyOf(value, (item) => (compareOrdered(item, condition.operand) ?? Number.NaN) >= 0);
    case '$lt':
      return anyOf(value, (item) => (compareOrdered(item, condition.operand) ?? Number.NaN) < 0);
    case '$lte':
      return anyOf(value, (item) => (compareOrdered(item, condition.operand) ?? Number.NaN) <= 0);
    case '$in':
      return anyOf(value, (item) => condition.operand.includes(item as never));
    case '$nin':
      return !anyOf(value, (item) => condition.operand.includes(item as never));
    case '$all':
      return Array.isArray(value) && condition.operand.every((wanted) => value.includes(wanted));
    case '$contains':
      return anyOf(value, (item) => typeof item === 'string' && item.includes(condition.operand));
    case '$startsWith':
      return anyOf(value, (item) => typeof item === 'string' && item.startsWith(condition.operand));
    case '$endsWith':
      return anyOf(value, (item) => typeof item === 'string' && item.endsWith(condition.operand));
  }
}

/** A condition against an array holds when it holds for the array itself or any of its elements. */
function anyOf(value: unknown, test: (item: unknown) => boolean): boolean {
  return test(value) || (Array.isArray(value) && value.some(test));
}
