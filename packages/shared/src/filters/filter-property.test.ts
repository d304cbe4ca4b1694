// 10,000 random (filter, event) pairs through the compiled filter and through a reference evaluator
// written here from the language's rules, independently of the implementation: they must agree.
import { compileFilter } from './compile-filter';
import { parseFilter } from './parse-filter';

/** mulberry32: a small seeded generator, so a failure can be replayed from its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

// Few names and values, so that filters and events often meet.
const NAMES = ['a', 'b', 'c'];
const STRINGS = ['', 'a', 'ab', 'b', 'A', 'é', '\uE000', '😀', '2026-01-01T00:00:00Z', '5'];
const NUMBERS = [-1, 0, 1, 1.5, 5, 100];
const OPERATORS = ['$eq', '$neq', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$all', '$contains', '$startsWith', '$endsWith', '$exist'];

function scalar(random: Random): unknown {
  const roll = random();
  if (roll < 0.4) return pick(random, STRINGS);
  if (roll < 0.8) return pick(random, NUMBERS);
  if (roll < 0.9) return random() < 0.5;
  return null;
}

function value(random: Random, depth: number): unknown {
  const roll = random();
  if (depth <= 0 || roll < 0.6) return scalar(random);
  if (roll < 0.8) return Array.from({ length: Math.floor(random() * 4) }, () => value(random, depth - 1));
  return object(random, depth - 1);
}

function object(random: Random, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of NAMES) if (random() < 0.6) out[name] = value(random, depth);
  return out;
}

function event(random: Random): Record<string, unknown> {
  return { id: 'evt_1', type: pick(random, ['a.b', 'a.c', 'b']), tenant: pick(random, ['t1', 't2']), timestamp: pick(random, STRINGS), data: object(random, 3) };
}

function operand(random: Random, op: string): unknown {
  if (op === '$exist') return random() < 0.5;
  if (['$gt', '$gte', '$lt', '$lte'].includes(op)) return random() < 0.5 ? pick(random, STRINGS) : pick(random, NUMBERS);
  if (['$contains', '$startsWith', '$endsWith'].includes(op)) return pick(random, STRINGS);
  if (['$in', '$nin', '$all'].includes(op)) return Array.from({ length: (op === '$all' ? 1 : 0) + Math.floor(random() * 3) }, () => scalar(random));
  return value(random, 1);
}

function fieldSpec(random: Random, depth: number): unknown {
  const roll = random();
  if (roll < 0.25) {
    // A literal: its own value to equal, or (an object of names) a document for the fields below.
    const literal = value(random, 1);
    return isObject(literal) && Object.keys(literal).length === 0 ? { $eq: literal } : literal;
  }
  if (roll < 0.4 && depth > 0) return { [pick(random, NAMES)]: fieldSpec(random, depth - 1) };
  const ops: Record<string, unknown> = {};
  const count = 1 + Math.floor(random() * 2);
  for (let i = 0; i < count; i++) {
    const op = pick(random, OPERATORS);
    ops[op] = operand(random, op);
  }
  // An empty object is refused; `{"$eq": {}}` is the way to say it.
  const only = Object.values(ops)[0];
  if (count === 1 && only !== null && typeof only === 'object' && !Array.isArray(only) && Object.keys(only).length === 0 && Object.keys(ops)[0] !== '$eq') return 1;
  return ops;
}

function dataDocument(random: Random, depth: number): Record<string, unknown> {
  const roll = random();
  if (depth > 0 && roll < 0.1) return { $and: [dataDocument(random, depth - 1), dataDocument(random, depth - 1)] };
  if (depth > 0 && roll < 0.2) return { $or: [dataDocument(random, depth - 1), dataDocument(random, depth - 1)] };
  if (depth > 0 && roll < 0.25) return { $not: dataDocument(random, depth - 1) };
  const doc: Record<string, unknown> = {};
  const count = 1 + Math.floor(random() * 2);
  for (let i = 0; i < count; i++) doc[pick(random, NAMES)] = fieldSpec(random, 2);
  return doc;
}

function filter(random: Random): Record<string, unknown> {
  const roll = random();
  if (roll < 0.1) return { type: fieldSpec(random, 0) };
  if (roll < 0.15) return { timestamp: { [pick(random, ['$gt', '$lte'])]: pick(random, STRINGS) } };
  if (roll < 0.2) return { $or: [{ tenant: 't1' }, { data: dataDocument(random, 1) }] };
  return { data: dataDocument(random, 2) };
}

// ---- The reference evaluator: the rules of the language, read straight off the JSON filter. ----

/** Canonical JSON (sorted keys), so that equal values have equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Code points as numbers, compared one by one. */
function codePointOrder(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0) as number);
  const y = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

function ordered(op: string, v: unknown, operand: unknown): boolean {
  let order: number;
  if (typeof v === 'number' && typeof operand === 'number') order = v - operand;
  else if (typeof v === 'string' && typeof operand === 'string') order = codePointOrder(v, operand);
  else return false;
  return { $gt: order > 0, $gte: order >= 0, $lt: order < 0, $lte: order <= 0 }[op as '$gt'] as boolean;
}

function referenceOperator(op: string, operand: unknown, present: boolean, v: unknown): boolean {
  if (!present) return op === '$exist' && operand === false;
  const candidates = Array.isArray(v) ? [v, ...v] : [v];
  const some = (test: (c: unknown) => boolean) => candidates.some(test);
  const list = operand as unknown[];
  switch (op) {
    case '$exist': return operand === true;
    case '$eq': return some((c) => canonical(c) === canonical(operand));
    case '$neq': return !some((c) => canonical(c) === canonical(operand));
    case '$in': return some((c) => list.some((item) => canonical(item) === canonical(c)));
    case '$nin': return !some((c) => list.some((item) => canonical(item) === canonical(c)));
    case '$all': return Array.isArray(v) && list.every((item) => v.some((c) => canonical(c) === canonical(item)));
    case '$contains': return some((c) => typeof c === 'string' && c.indexOf(operand as string) !== -1);
    case '$startsWith': return some((c) => typeof c === 'string' && c.slice(0, (operand as string).length) === operand);
    case '$endsWith': return some((c) => typeof c === 'string' && c.length >= (operand as string).length && c.slice(c.length - (operand as string).length) === operand);
    default: return some((c) => ordered(op, c, operand));
  }
}

function referenceField(container: unknown, name: string, spec: unknown): boolean {
  const present = isObject(container) && Object.keys(container).includes(name);
  const v = present ? container[name] : undefined;
  if (!isObject(spec)) return referenceOperator('$eq', spec, present, v);
  const keys = Object.keys(spec);
  const fieldOperators = keys.filter((k) => k.startsWith('$') && !['$and', '$or', '$not'].includes(k));
  if (fieldOperators.length > 0) return keys.every((op) => referenceOperator(op, spec[op], present, v));
  if (!present) return false;
  return Array.isArray(v) ? v.some((item) => referenceDocument(spec, item)) : referenceDocument(spec, v);
}

function referenceDocument(doc: Record<string, unknown>, container: unknown): boolean {
  return Object.entries(doc).every(([key, spec]) => {
    if (key === '$and') return (spec as Record<string, unknown>[]).every((part) => referenceDocument(part, container));
    if (key === '$or') return (spec as Record<string, unknown>[]).some((part) => referenceDocument(part, container));
    if (key === '$not') return !referenceDocument(spec as Record<string, unknown>, container);
    return referenceField(container, key, spec);
  });
}

describe('filters against a reference evaluator', () => {
  it('agree on 10,000 random (filter, event) pairs', () => {
    const seed = 20261205;
    const random = seeded(seed);
    let matched = 0;
    let redrawn = 0;
    let f: Record<string, unknown> = {};
    let compiled = compileFilter(f);
    for (let i = 0; i < 10_000; i++) {
      // Each filter over 5 events, compiled once: as fan-out runs one (its tests reorder as they fail).
      if (i % 5 === 0) {
        f = filter(random);
        // A few come out over the depth limit, which saving refuses: draw again.
        while (!parseFilter(f).ok) {
          redrawn += 1;
          f = filter(random);
        }
        compiled = compileFilter(f);
      }
      const e = event(random);
      const expected = referenceDocument(f, e);
      if (compiled.matches(e) !== expected || (compiled.explain(e) === undefined) !== expected) {
        throw new Error(`pair ${i} (seed ${seed}) disagrees: reference says ${expected}\nfilter: ${JSON.stringify(f)}\nevent: ${JSON.stringify(e)}`);
      }
      if (expected) matched += 1;
    }
    // Both sides well represented, or the agreement would say little.
    expect(matched).toBeGreaterThan(1000);
    expect(matched).toBeLessThan(9000);
    expect(redrawn).toBeLessThan(100);
  });
});
