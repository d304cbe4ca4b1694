import { matchesAnyPattern, matchesEventType } from './patterns';

describe('matchesEventType', () => {
  it.each([
    ['invoice.paid', 'invoice.paid', true],
    ['invoice.paid', 'invoice.paid.late', false],
    ['invoice.paid', 'invoice', false],
    ['invoice.*', 'invoice.paid', true],
    ['invoice.*', 'invoice.paid.late', true],
    ['invoice.*', 'invoice', false],
    ['invoice.*', 'invoices.paid', false],
    ['circuit_breaker.*', 'circuit_breaker.opened', true],
    ['*', 'anything.at.all', true],
  ])('%s against %s is %s', (pattern, type, expected) => {
    expect(matchesEventType(pattern, type)).toBe(expected);
  });

  it('sends Herald\'s operational events only to webhooks that name them', () => {
    expect(matchesAnyPattern(['*'], 'circuit_breaker.opened')).toBe(false);
    expect(matchesAnyPattern(['*', 'circuit_breaker.*'], 'circuit_breaker.opened')).toBe(true);
    expect(matchesAnyPattern(['webhook.disabled'], 'webhook.disabled')).toBe(true);
    expect(matchesAnyPattern(['*'], 'circuit_breaker.custom_thing')).toBe(true);
  });

  it('matches when any pattern does', () => {
    expect(matchesAnyPattern(['a.b', 'c.*'], 'c.d')).toBe(true);
    expect(matchesAnyPattern(['a.b', 'c.*'], 'a.c')).toBe(false);
    expect(matchesAnyPattern([], 'a.b')).toBe(false);
  });
});
