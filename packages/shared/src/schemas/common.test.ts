import { z } from 'zod';
import { plainMessages } from './common';

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
  ])('words a range in Herald\'s terms (%#)', (schema, value, message) => {
    expect(messageOf(schema, value)).toBe(message);
  });

  it('leaves a message the schema sets itself alone', () => {
    expect(messageOf(z.number().max(10, 'ten at most, please'), 11)).toBe('ten at most, please');
  });
});
