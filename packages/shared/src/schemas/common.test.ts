import { z } from 'zod';
import { plainMessages, protoKeyPaths } from './common';

const messageOf = (schema: z.ZodType, value: unknown) => schema.safeParse(value, { error: plainMessages }).error?.issues[0]?.message;

describe('plainMessages', () => {
  it('says "required" for a missing field', () => {
    expect(messageOf(z.object({ url: z.string() }), {})).toBe('required');
  });

  it.each([
    [z.number().max(10), 50, 'must be at most 10'],
    [z.number().min(1), 0, 'must be at least 1'],
    [z.number().lt(5), 5, 'must be less than 5'],
    [z.number().gt(0), 0, 'must be more than 0'],
    [z.string().max(3), 'abcd', 'must be at most 3 characters'],
    [z.string().min(1), '', 'must be at least 1 character'],
    [z.array(z.string()).min(1), [], 'must have at least 1 item'],
    [z.array(z.string()).max(2), ['a', 'b', 'c'], 'must have at most 2 items'],
    [z.string().length(5), 'abc', 'must be exactly 5 characters'],
    [z.array(z.number()).length(2), [1], 'must have exactly 2 items'],
  ])('words a range in Herald\'s terms (%#)', (schema, value, message) => {
    expect(messageOf(schema, value)).toBe(message);
  });

  it('says why a record\'s key is refused, in the words of the key\'s schema', () => {
    const headers = z.record(z.string().regex(/^[a-z-]+$/, 'must be a lowercase header name'), z.string());
    expect(messageOf(headers, { 'Bad Name': 'x' })).toBe('is not a valid name: must be a lowercase header name');
  });

  it('leaves a message the schema sets itself alone', () => {
    expect(messageOf(z.number().max(10, 'ten at most, please'), 11)).toBe('ten at most, please');
  });
});

describe('protoKeyPaths', () => {
  it('finds every "__proto__" key with its path, at any depth and in arrays', () => {
    const value = JSON.parse('{"__proto__":1,"a":{"b":[{"c":1},{"__proto__":{"__proto__":2}}]},"d":"__proto__"}');
    expect(protoKeyPaths(value).sort()).toEqual([['__proto__'], ['a', 'b', 1, '__proto__'], ['a', 'b', 1, '__proto__', '__proto__']].sort());
  });

  it('finds none where keys only look alike, or where there is no object', () => {
    expect(protoKeyPaths(JSON.parse('{"proto":1,"__proto":2,"constructor":{"prototype":3}}'))).toEqual([]);
    expect(protoKeyPaths('__proto__')).toEqual([]);
    expect(protoKeyPaths(null)).toEqual([]);
  });
});
