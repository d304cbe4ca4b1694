// Every operator and edge case of the filter language, each with a case that passes and one that fails.
import { compileFilter, InvalidFilterError } from './compile-filter';
import { parseFilter } from './parse-filter';
import { filterDocumentFor } from './webhook-filter';

const envelope = {
  id: 'evt_1',
  type: 'order.paid',
  tenant: 'acme',
  timestamp: '2026-03-01T12:00:00.000Z',
  data: {
    amount: 150,
    currency: 'EUR',
    status: 'paid',
    count: '5',
    flag: false,
    nothing: null,
    tags: ['vip', 'eu', 7],
    empty: [],
    customer: { country: 'NL', name: 'Ada', address: { city: 'Delft' } },
    items: [
      { sku: 'A-1', qty: 1 },
      { sku: 'B-2', qty: 5 },
    ],
    astral: '😀',
    private: '\uE000',
  },
};

type Case = [name: string, filter: Record<string, unknown>, expected: boolean];

const cases: Case[] = [
  // implicit equality and $eq
  ['implicit equality, equal', { data: { status: 'paid' } }, true],
  ['implicit equality, different', { data: { status: 'open' } }, false],
  ['no coercion: "5" is not 5', { data: { count: 5 } }, false],
  ['no coercion: 5 is not "5"', { data: { amount: '150' } }, false],
  ['false is not null', { data: { flag: null } }, false],
  ['null equals null', { data: { nothing: null } }, true],
  ['$eq with an object compares deeply, whatever the key order', { data: { customer: { $eq: { name: 'Ada', country: 'NL', address: { city: 'Delft' } } } } }, true],
  ['$eq with an object that differs', { data: { customer: { $eq: { country: 'NL' } } } }, false],
  ['implicit equality with a whole array', { data: { tags: ['vip', 'eu', 7] } }, true],
  ['whole array in another order', { data: { tags: ['eu', 'vip', 7] } }, false],
  ['$eq against an array holds for an element', { data: { tags: { $eq: 'eu' } } }, true],
  ['implicit equality against an array holds for an element', { data: { tags: 7 } }, true],
  ['envelope fields', { type: 'order.paid', tenant: 'acme', id: 'evt_1' }, true],
  ['empty filter matches everything', {}, true],
  // $neq
  ['$neq, different', { data: { status: { $neq: 'open' } } }, true],
  ['$neq, equal', { data: { status: { $neq: 'paid' } } }, false],
  ['$neq against an array: no element may equal', { data: { tags: { $neq: 'eu' } } }, false],
  ['$neq against an array without the value', { data: { tags: { $neq: 'us' } } }, true],
  ['$neq on a missing field fails', { data: { missing: { $neq: 'x' } } }, false],
  // ordering
  ['$gt holds', { data: { amount: { $gt: 100 } } }, true],
  ['$gt equal fails', { data: { amount: { $gt: 150 } } }, false],
  ['$gte equal holds', { data: { amount: { $gte: 150 } } }, true],
  ['$lt holds', { data: { amount: { $lt: 151 } } }, true],
  ['$lt fails', { data: { amount: { $lt: 150 } } }, false],
  ['$lte equal holds', { data: { amount: { $lte: 150 } } }, true],
  ['range', { data: { amount: { $gte: 100, $lt: 200 } } }, true],
  ['range missed', { data: { amount: { $gte: 100, $lt: 120 } } }, false],
  ['$gt number against a string field fails', { data: { count: { $gt: 1 } } }, false],
  ['$lt string against a number field fails', { data: { amount: { $lt: 'z' } } }, false],
  ['$gt against null fails', { data: { nothing: { $gt: 0 } } }, false],
  ['$lte against null fails', { data: { nothing: { $lte: 0 } } }, false],
  ['timestamps compare as ISO text, after', { timestamp: { $gte: '2026-03-01T00:00:00Z' } }, true],
  ['timestamps compare as ISO text, before', { timestamp: { $lt: '2026-03-01T00:00:00Z' } }, false],
  ['strings by code point: astral above U+E000', { data: { astral: { $gt: '\uE000' } } }, true],
  ['strings by code point: U+E000 below astral', { data: { private: { $lt: '😀' } } }, true],
  ['ordering against an array holds for an element', { data: { tags: { $gt: 5 } } }, true],
  ['$gt on a missing field fails', { data: { missing: { $gt: 0 } } }, false],
  // $in / $nin
  ['$in holds', { data: { status: { $in: ['paid', 'refunded'] } } }, true],
  ['$in fails', { data: { status: { $in: ['open', 'refunded'] } } }, false],
  ['$in does not coerce', { data: { count: { $in: [5] } } }, false],
  ['$in against an array: any element', { data: { tags: { $in: ['us', 'eu'] } } }, true],
  ['$in with an empty list never holds', { data: { status: { $in: [] } } }, false],
  ['$in null holds for null', { data: { nothing: { $in: [null] } } }, true],
  ['$nin holds', { data: { status: { $nin: ['open'] } } }, true],
  ['$nin fails', { data: { status: { $nin: ['paid'] } } }, false],
  ['$nin against an array: no element may be in it', { data: { tags: { $nin: ['eu'] } } }, false],
  ['$nin on a missing field fails', { data: { missing: { $nin: ['x'] } } }, false],
  // $all
  ['$all holds', { data: { tags: { $all: ['eu', 'vip'] } } }, true],
  ['$all with one missing fails', { data: { tags: { $all: ['eu', 'us'] } } }, false],
  ['$all against a scalar fails', { data: { status: { $all: ['paid'] } } }, false],
  ['$all against an empty array fails', { data: { empty: { $all: ['x'] } } }, false],
  // strings
  ['$contains holds', { data: { customer: { name: { $contains: 'd' } } } }, true],
  ['$contains fails', { data: { customer: { name: { $contains: 'x' } } } }, false],
  ['$contains against an array: a string element contains it', { data: { tags: { $contains: 'ip' } } }, true],
  ['$contains is not array membership of a number', { data: { tags: { $contains: '7' } } }, false],
  ['$contains against a number fails', { data: { amount: { $contains: '1' } } }, false],
  ['$startsWith holds', { data: { status: { $startsWith: 'pa' } } }, true],
  ['$startsWith fails', { data: { status: { $startsWith: 'id' } } }, false],
  ['$endsWith holds', { type: { $endsWith: '.paid' } }, true],
  ['$endsWith fails', { type: { $endsWith: '.open' } }, false],
  ['$startsWith is case sensitive', { data: { currency: { $startsWith: 'eu' } } }, false],
  // $exist
  ['$exist true on a field', { data: { status: { $exist: true } } }, true],
  ['$exist true on null', { data: { nothing: { $exist: true } } }, true],
  ['$exist true on a missing field', { data: { missing: { $exist: true } } }, false],
  ['$exist false on a missing field', { data: { missing: { $exist: false } } }, true],
  ['$exist false on a field', { data: { status: { $exist: false } } }, false],
  ['$exist false below a scalar', { data: { status: { length: { $exist: false } } } }, true],
  ['missing parent fails even with $exist false below', { data: { missing: { x: { $exist: false } } } }, false],
  // nested fields and arrays of objects
  ['nested fields', { data: { customer: { country: 'NL', address: { city: 'Delft' } } } }, true],
  ['nested field differs', { data: { customer: { address: { city: 'Paris' } } } }, false],
  ['nested below a missing field fails', { data: { vendor: { country: 'NL' } } }, false],
  ['nested below a scalar fails', { data: { status: { country: 'NL' } } }, false],
  ['an element of an array of objects', { data: { items: { sku: 'B-2' } } }, true],
  ['conditions on one element hold together', { data: { items: { sku: 'B-2', qty: { $gte: 5 } } } }, true],
  ['conditions split over two elements fail', { data: { items: { sku: 'A-1', qty: { $gte: 5 } } } }, false],
  // logical
  ['$and holds', { $and: [{ data: { amount: { $gt: 100 } } }, { data: { currency: 'EUR' } }] }, true],
  ['$and fails', { $and: [{ data: { amount: { $gt: 100 } } }, { data: { currency: 'USD' } }] }, false],
  ['$or holds', { $or: [{ data: { currency: 'USD' } }, { data: { amount: { $gt: 100 } } }] }, true],
  ['$or fails', { $or: [{ data: { currency: 'USD' } }, { data: { amount: { $gt: 1000 } } }] }, false],
  ['$not inverts', { $not: { data: { currency: 'USD' } } }, true],
  ['$not of a match fails', { $not: { data: { currency: 'EUR' } } }, false],
  ['$not of a missing field holds', { $not: { data: { missing: 1 } } }, true],
  ['$or below a field', { data: { $or: [{ currency: 'USD' }, { status: 'paid' }] } }, true],
  ['fields of one document all hold', { type: 'order.paid', data: { status: 'paid', amount: { $lt: 100 } } }, false],
];

describe('filter evaluation', () => {
  it.each(cases)('%s', (_name, filter, expected) => {
    const compiled = compileFilter(filter);
    expect(compiled.matches(envelope)).toBe(expected);
    // The explanation agrees: none for a match, one for a mismatch.
    expect(compiled.explain(envelope) === undefined).toBe(expected);
  });
});

describe('a compiled filter used again and again', () => {
  it('answers the same whichever of its conditions failed before (they are tried failing-first)', () => {
    const compiled = compileFilter({ type: 'a', data: { x: 1, y: { $gte: 2, $lt: 5 } } });
    const env = (type: string, x: number, y: number) => ({ type, data: { x, y } });
    const sequence: [ReturnType<typeof env>, boolean][] = [
      [env('a', 1, 9), false], [env('a', 1, 3), true], [env('b', 1, 3), false], [env('a', 2, 3), false],
      [env('a', 1, 1), false], [env('a', 1, 4), true], [env('a', 1, 5), false], [env('a', 1, 2), true],
    ];
    for (const [envelope, expected] of [...sequence, ...sequence.reverse()]) expect([envelope, compiled.matches(envelope)]).toEqual([envelope, expected]);
  });
});

describe('filter explanations', () => {
  const explain = (filter: Record<string, unknown>) => compileFilter(filter).explain(envelope);
  it('says which condition failed, and why', () => {
    expect(explain({ data: { amount: { $gte: 200 } } })).toBe('data.amount: 150 is not >= 200');
    expect(explain({ data: { status: { $in: ['open', 'void'] } } })).toBe('data.status: "paid" is not in ["open","void"]');
    expect(explain({ data: { missing: { $neq: 1 } } })).toBe('data.missing: is missing');
    expect(explain({ data: { status: { $exist: false } } })).toBe('data.status: is present');
    expect(explain({ data: { customer: { address: { city: 'Paris' } } } })).toBe('data.customer.address.city: "Delft" is not "Paris"');
    expect(explain({ data: { items: { sku: 'C-3' } } })).toBe('data.items: no element matches (the first: data.items.sku: "A-1" is not "C-3")');
    expect(explain({ $or: [{ data: { currency: 'USD' } }, { type: 'x' }] })).toBe('$or: no alternative matched (the first: data.currency: "EUR" is not "USD")');
    expect(explain({ $not: { type: 'order.paid' } })).toBe('$not: what it holds matched');
    // The first failing condition, in document order.
    expect(explain({ type: 'order.paid', data: { currency: 'USD', amount: 1 } })).toBe('data.currency: "EUR" is not "USD"');
  });
});

describe('filter validation', () => {
  const issues = (filter: unknown) => {
    const parsed = parseFilter(filter);
    return parsed.ok ? [] : parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('names the path of a bad operand', () => {
    expect(issues({ data: { amount: { $gte: true } } })).toEqual(['data.amount.$gte: must be a number or a string']);
    expect(issues({ data: { amount: { $gt: null } } })).toEqual(['data.amount.$gt: must be a number or a string']);
    expect(issues({ data: { s: { $contains: 1 } } })).toEqual(['data.s.$contains: must be a string']);
    expect(issues({ data: { s: { $startsWith: [] } } })).toEqual(['data.s.$startsWith: must be a string']);
    expect(issues({ data: { s: { $endsWith: {} } } })).toEqual(['data.s.$endsWith: must be a string']);
    expect(issues({ data: { s: { $exist: 'yes' } } })).toEqual(['data.s.$exist: must be true or false']);
    expect(issues({ data: { s: { $in: 'paid' } } })).toEqual(['data.s.$in: must be a list of strings, numbers, booleans or nulls']);
    expect(issues({ data: { s: { $nin: [1, { a: 1 }] } } })).toEqual(['data.s.$nin.1: must be a string, a number, a boolean or null']);
    expect(issues({ data: { s: { $all: [] } } })).toEqual(['data.s.$all: must have at least 1 value']);
    expect(issues({ $and: [] })).toEqual(['$and: must be a non-empty list of match documents']);
    expect(issues({ $or: [{ type: 'a' }, 'b'] })).toEqual(['$or.1: must be a match document (a JSON object)']);
    expect(issues({ $not: [] })).toEqual(['$not: must be a match document (a JSON object)']);
  });

  it('refuses unknown operators, misplaced ones, unknown envelope fields and mixed objects', () => {
    expect(issues({ data: { amount: { $gtx: 1 } } })[0]).toMatch(/^data\.amount\.\$gtx: is not an operator \(known: /);
    expect(issues({ $xor: [] })[0]).toMatch(/^\$xor: is not an operator/);
    expect(issues({ $gte: 1 })[0]).toMatch(/^\$gte: applies to a field/);
    expect(issues({ data: { amount: { $gt: 1, $and: [] } } })[0]).toMatch(/^data\.amount: mixes operators and field names/);
    expect(issues({ payload: { a: 1 } })).toEqual(['payload: is not a field of the event (a filter sees id, type, tenant, timestamp, data)']);
    expect(issues({ data: { a: { $gt: 1, b: 2 } } })[0]).toMatch(/^data\.a: mixes operators and field names/);
    expect(issues({ data: { a: {} } })[0]).toMatch(/^data\.a: is an empty object/);
    expect(issues([{ type: 'a' }])).toEqual([': must be a JSON object (a match document)']);
    expect(issues(null)).toEqual([': must be a JSON object (a match document)']);
  });

  it('reports every problem, not only the first', () => {
    expect(issues({ data: { a: { $gt: true }, b: { $in: 1 } }, nope: 1 })).toHaveLength(3);
  });

  it('holds the limits: depth 8, 128 nodes, 8 KB, lists of 256', () => {
    // Seven levels of fields under data, with an operator object: eight levels in all.
    const deep = (levels: number): Record<string, unknown> => {
      let inner: Record<string, unknown> = { $eq: 1 };
      for (let i = 0; i < levels; i++) inner = { [`f${i}`]: inner };
      return { data: inner };
    };
    expect(issues(deep(6))).toEqual([]);
    expect(issues(deep(7))).toEqual([': must not nest deeper than 8 levels']);
    const fields = (count: number) => ({ data: Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, i])) });
    expect(issues(fields(127))).toEqual([]);
    expect(issues(fields(128))).toEqual([': must have at most 128 field names and operators (has 129)']);
    const big = { data: { note: 'x'.repeat(8200) } };
    expect(issues(big)[0]).toMatch(/^: must be at most 8192 bytes as JSON \(is \d+\)$/);
    // Bytes, not characters.
    expect(issues({ data: { note: 'é'.repeat(4100) } })[0]).toMatch(/^: must be at most 8192 bytes/);
    const list = (count: number) => ({ data: { s: { $in: Array.from({ length: count }, (_, i) => i) } } });
    expect(issues(list(256))).toEqual([]);
    expect(issues(list(257))).toEqual(['data.s.$in: must have at most 256 values']);
  });

  it('compiling an invalid filter throws with the issues', () => {
    expect(() => compileFilter({ data: { amount: { $gte: true } } })).toThrow(InvalidFilterError);
  });
});

describe('filterDocumentFor', () => {
  it('picks the most specific event pattern, else the webhook filter', () => {
    const filter = { type: 'default' };
    const eventFilters = { '*': { type: 'any' }, 'order.*': { type: 'orders' }, 'order.paid': { type: 'paid' } };
    expect(filterDocumentFor({ filter, eventFilters }, 'order.paid')).toBe(eventFilters['order.paid']);
    expect(filterDocumentFor({ filter, eventFilters }, 'order.created')).toBe(eventFilters['order.*']);
    expect(filterDocumentFor({ filter, eventFilters }, 'user.created')).toBe(eventFilters['*']);
    expect(filterDocumentFor({ filter, eventFilters: { 'order.*': {} } }, 'user.created')).toBe(filter);
    expect(filterDocumentFor({}, 'user.created')).toBeUndefined();
  });
});
