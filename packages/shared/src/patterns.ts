import { isOperationalEventType } from './keys';

/**
 * Whether an event type matches a subscription pattern: an exact type, `prefix.*` (any type
 * under that prefix, however deep), or `*` (everything).
 */
export function matchesEventType(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/**
 * Whether a webhook subscribed to `patterns` gets events of `type`. Herald's own operational events
 * go only to webhooks that name them (`circuit_breaker.*`, `webhook.disabled`, …), not to `*`:
 * an endpoint that takes every business event has not asked for Herald's alarms.
 */
export function matchesAnyPattern(patterns: readonly string[], type: string): boolean {
  const operational = isOperationalEventType(type);
  return patterns.some((pattern) => !(operational && pattern === '*') && matchesEventType(pattern, type));
}

/**
 * Of `patterns`, the most specific that matches `type`: an exact type, then the longest
 * `prefix.*`, then `*`; undefined when none does. Per-pattern settings (eventTemplates,
 * eventFilters) are chosen by it.
 */
export function mostSpecificPattern(patterns: Iterable<string>, type: string): string | undefined {
  let best: string | undefined;
  for (const pattern of patterns) {
    if (matchesEventType(pattern, type) && (best === undefined || specificity(pattern) > specificity(best))) best = pattern;
  }
  return best;
}

function specificity(pattern: string): number {
  if (pattern === '*') return 0;
  return pattern.endsWith('.*') ? pattern.length : 10_000 + pattern.length;
}
