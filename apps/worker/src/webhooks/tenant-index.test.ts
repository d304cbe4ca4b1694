// The index against matchesAnyPattern, the rule it must agree with, over random subscriptions.
import { isOperationalEventType, matchesAnyPattern } from '@herald/shared';
import { TenantIndex } from './tenant-index';

const SEGMENTS = ['order', 'invoice', 'created', 'paid', 'a', 'b'];
const TYPES = ['order.created', 'order.paid', 'order.a.b', 'invoice.paid', 'a.b', 'a.b.created', 'circuit_breaker.opened', 'webhook.disabled'];

function randomPattern(random: () => number): string {
  const roll = random();
  if (roll < 0.1) return '*';
  const depth = 1 + Math.floor(random() * 3);
  const type = Array.from({ length: depth }, () => SEGMENTS[Math.floor(random() * SEGMENTS.length)]).join('.');
  if (roll < 0.15) return 'circuit_breaker.*';
  return roll < 0.5 ? `${type}.*` : type;
}

/** A small deterministic random source (mulberry32), so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('finds exactly the webhooks matchesAnyPattern finds, as webhooks come and go', () => {
  const random = seeded(42);
  const index = new TenantIndex();
  const subscribed = new Map<string, string[]>();
  for (let step = 0; step < 2000; step++) {
    const id = `wh_${Math.floor(random() * 200)}`;
    const before = subscribed.get(id);
    if (before) index.remove(id, before);
    if (random() < 0.2) subscribed.delete(id);
    else {
      const patterns = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomPattern(random));
      subscribed.set(id, patterns);
      index.add(id, patterns);
    }
    for (const type of TYPES) {
      const expected = [...subscribed].filter(([, patterns]) => matchesAnyPattern(patterns, type)).map(([webhook]) => webhook).sort();
      expect([...index.match(type, isOperationalEventType(type))].sort()).toEqual(expected);
    }
  }
});

it('keeps `*` from Herald\'s own events, and a webhook once however many of its patterns match', () => {
  const index = new TenantIndex();
  index.add('wh_all', ['*']);
  index.add('wh_many', ['order.*', 'order.created', '*']);
  index.add('wh_alarms', ['circuit_breaker.*']);
  expect([...index.match('order.created', false)].sort()).toEqual(['wh_all', 'wh_many']);
  expect([...index.match('circuit_breaker.opened', true)]).toEqual(['wh_alarms']);
  index.remove('wh_many', ['order.*', 'order.created', '*']);
  expect([...index.match('order.created', false)]).toEqual(['wh_all']);
});
