import { newEventId, newWebhookId } from './ids';

it('makes ids that never repeat, across many refills of the random pool', () => {
  const now = Date.now();
  const ids = Array.from({ length: 20_000 }, () => newEventId(now));
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids.slice(0, 5)) expect(id).toMatch(new RegExp(`^evt_${now.toString(36)}[A-Za-z0-9_-]{12}$`));
});

it('orders ids by time first', () => {
  const earlier = newWebhookId(1_700_000_000_000);
  const later = newWebhookId(1_700_000_000_001);
  expect(earlier.slice(0, -12) < later.slice(0, -12)).toBe(true);
  expect(earlier).toMatch(/^wh_/);
});
