import { z } from 'zod';

/** Dotted lowercase segments: `invoice.paid`, `circuit_breaker.opened`. */
/** An event type: dotted lowercase segments, at most 200 characters. */
export const EVENT_TYPE_PATTERN = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
export const EVENT_TYPE_MAX_LENGTH = 200;
/** A tenant: 1–64 letters, digits, "_" and "-". */
export const TENANT_PATTERN = /^[A-Za-z0-9_-]+$/;
export const TENANT_MAX_LENGTH = 64;

export const eventTypeSchema = z
  .string()
  .min(1)
  .max(EVENT_TYPE_MAX_LENGTH)
  .regex(EVENT_TYPE_PATTERN, 'must be dotted lowercase segments such as "invoice.paid"')
  .meta({ description: 'An event type: dotted lowercase segments of a-z, 0-9, "_" and "-" ("invoice.paid"), at most 200 characters.', example: 'invoice.paid' });

/** What a webhook subscribes to: an exact type, `prefix.*`, or `*`. */
export const eventPatternSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$/,
    'must be an event type, a prefix ending in ".*", or "*"',
  )
  .meta({
    description:
      'An event type ("invoice.paid"), a prefix ("invoice.*": every type below "invoice"), or "*" (every business event; Herald\'s operational events must be named).',
    example: 'invoice.*',
  });

export const tenantSchema = z
  .string()
  .min(1)
  .max(TENANT_MAX_LENGTH)
  .regex(TENANT_PATTERN, 'may hold only letters, digits, "_" and "-"')
  .meta({ description: 'A tenant: 1–64 letters, digits, "_" and "-". A tenant token acts for its own tenant only.', example: 'acme' });

export const DEFAULT_TENANT = 'default';

/**
 * Parse option `{ error: plainMessages }`: zod's default texts in plain words. A missing field reads
 * "required" (not "expected string, received undefined"), a range "must be at most 10" (not "Too
 * big: expected number to be <=10"). Messages a schema sets itself still win.
 */
export const plainMessages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'too_big') return rangeMessage(issue.origin, issue.exact ? 'exactly' : 'at most', issue.maximum, issue.inclusive !== false);
  if (issue.code === 'too_small') return rangeMessage(issue.origin, issue.exact ? 'exactly' : 'at least', issue.minimum, issue.inclusive !== false);
  // A record's key: what the key's own schema said of it (zod says only "Invalid key in record").
  if (issue.code === 'invalid_key') {
    const reasons = issue.issues.map((inner) => inner.message).filter(Boolean);
    return `is not a valid name${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`;
  }
  return undefined;
};

function rangeMessage(origin: string, bound: 'at most' | 'at least' | 'exactly', limit: number | bigint, inclusive: boolean): string | undefined {
  const plural = (unit: string) => `${unit}${Number(limit) === 1 ? '' : 's'}`;
  if (origin === 'number' || origin === 'int' || origin === 'bigint') {
    if (inclusive) return `must be ${bound} ${limit}`;
    return `must be ${bound === 'at most' ? 'less' : 'more'} than ${limit}`;
  }
  if (origin === 'string') return `must be ${bound} ${limit} ${plural('character')}`;
  if (origin === 'array' || origin === 'set') return `must have ${bound} ${limit} ${plural('item')}`;
  return undefined;
}

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds from "1500" (ms) or "500ms", "30s", "5m", "6h", "1d"; null when unreadable. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const [, amount, unit = 'ms'] = match;
  return Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
}

/** A duration in milliseconds, written as a number of ms or as a string like `"500ms"`, `"5m"`, `"6h"`. */
export const durationMsSchema = z
  .union([
    z.number().int().min(0),
    z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/, 'must be a whole number followed by ms, s, m, h or d, such as "5m"')
      .transform((text) => parseDurationMs(text) as number),
  ])
  .meta({ description: 'A duration: milliseconds, or a whole number followed by ms, s, m, h or d ("500ms", "30s", "5m", "6h", "1d").' });

/**
 * A number sent as text (a query string's "100"), checked by `schema`. Unlike `z.coerce`, it leaves
 * anything but a non-empty string as it is, so the schema (and the OpenAPI document made from it)
 * is the number's own: null and booleans are refused, not turned into 0 and 1.
 */
export function numberFromText<S extends z.ZodType<number>>(schema: S) {
  return z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value), schema);
}

/** A point in time, as ISO-8601 with an offset or as unix milliseconds (a number or its digits); parsed to unix ms. */
export const timeMsSchema = z
  .union([z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)), numberFromText(z.number().int().min(0))])
  .meta({ description: 'A time: ISO-8601 with an offset ("2026-01-01T00:00:00Z") or unix milliseconds.', example: '2026-01-01T00:00:00Z' });

/** A duration from an environment variable: "1500" (ms) or "5m" and the like. */
export const envDurationMsSchema = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be milliseconds or a duration such as "30s", "5m", "6h"' });
    return z.NEVER;
  }
  return ms;
});

/** Deepest nesting allowed in event data; deeper JSON could overflow the stack when re-serialized. */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON value, computed without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Paths of every key named "__proto__" in a JSON value, computed without recursion. JSON.parse
 * keeps such a key, but copying the object into another (as validation does) sets the copy's
 * prototype instead, so the key and its value would vanish without a word.
 */
export function protoKeyPaths(value: unknown): (string | number)[][] {
  // Each object or array met, with the one it sits in: a path is spelled out only for a hit.
  interface Node {
    value: object;
    parent: Node | undefined;
    key: string | number;
  }
  const pathTo = (node: Node | undefined, key: string): (string | number)[] => {
    const path: (string | number)[] = [key];
    for (let at = node; at?.parent; at = at.parent) path.unshift(at.key);
    return path;
  };
  const found: (string | number)[][] = [];
  if (value === null || typeof value !== 'object') return found;
  const stack: Node[] = [{ value, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const current = node.value as Record<string, unknown>;
    const keys = Array.isArray(current) ? undefined : Object.keys(current);
    const length = keys ? keys.length : (current as unknown as unknown[]).length;
    for (let i = 0; i < length; i++) {
      const key = keys ? (keys[i] as string) : i;
      if (key === '__proto__') found.push(pathTo(node, key));
      const child = current[key];
      if (child !== null && typeof child === 'object') stack.push({ value: child, parent: node, key });
    }
  }
  return found;
}

export const PROTO_KEY_MESSAGE = 'is a key named "__proto__", which Herald cannot keep as sent; rename it';

/**
 * Every "__proto__" key in a parsed document as a zod-like issue. zod's records and objects skip
 * such a key, so a body is checked with this before its schema, or the key would vanish silently.
 */
export function protoKeyIssues(value: unknown): { path: (string | number)[]; message: string }[] {
  return protoKeyPaths(value).map((path) => ({ path, message: PROTO_KEY_MESSAGE }));
}
