import type { Stats } from '@herald/sdk/browser';
import { addSnapshot, HISTORY_LENGTH, minuteSeries, toPoints } from './stats-history';

function stats(deliveries: { success: number; retry: number; deadLetter: number }, more: Partial<Stats> = {}): Stats {
  const attempts = deliveries.success + deliveries.retry + deliveries.deadLetter;
  return {
    events: { perMinute: 0, currentMinute: 0, lastHour: 0, series: [] },
    deliveries: { ...deliveries, attempts, successRate: attempts ? deliveries.success / attempts : null, deliveryRate: null },
    operational: { events: { perMinute: 0, currentMinute: 0, lastHour: 0, series: [] }, deliveries: { attempts: 0, success: 0, retry: 0, deadLetter: 0, successRate: null, deliveryRate: null } },
    queue: { waiting: 2, active: 1, delayed: 3, prioritized: 1 },
    deadLetters: 4,
    circuitsOpen: 1,
    stream: { length: 10, pending: 5 },
    ...more,
  };
}

it('charts what happened between snapshots, not the totals', () => {
  const history = [
    { at: 1000, stats: stats({ success: 10, retry: 2, deadLetter: 0 }) },
    { at: 6000, stats: stats({ success: 13, retry: 3, deadLetter: 0 }) },
    { at: 11000, stats: stats({ success: 13, retry: 3, deadLetter: 0 }) },
  ];
  expect(toPoints(history)).toEqual([
    { at: 6000, success: 3, retry: 1, deadLetter: 0, successRate: 75, waiting: 3, active: 1, delayed: 3, deadLetters: 4, circuitsOpen: 1, pending: 5 },
    { at: 11000, success: 0, retry: 0, deadLetter: 0, successRate: null, waiting: 3, active: 1, delayed: 3, deadLetters: 4, circuitsOpen: 1, pending: 5 },
  ]);
});

it('counts from zero when the counters went back (a Redis emptied)', () => {
  const history = [
    { at: 1, stats: stats({ success: 100, retry: 0, deadLetter: 0 }) },
    { at: 2, stats: stats({ success: 4, retry: 0, deadLetter: 1 }) },
  ];
  expect(toPoints(history)[0]).toMatchObject({ success: 4, deadLetter: 1, successRate: 80 });
});

it('keeps a bounded history', () => {
  let history: { at: number; stats: Stats }[] = [];
  for (let i = 0; i < HISTORY_LENGTH + 50; i++) history = addSnapshot(history, i, stats({ success: i, retry: 0, deadLetter: 0 }));
  expect(history).toHaveLength(HISTORY_LENGTH + 1);
  expect(toPoints(history)).toHaveLength(HISTORY_LENGTH);
  expect(history[0]!.at).toBe(49);
});

it('puts the per-minute series on the minutes of the last hour, the last being this one', () => {
  const now = Date.parse('2026-01-01T12:30:40Z');
  expect(minuteSeries([1, 2, 3], now)).toEqual([
    { minute: Date.parse('2026-01-01T12:28:00Z'), events: 1 },
    { minute: Date.parse('2026-01-01T12:29:00Z'), events: 2 },
    { minute: Date.parse('2026-01-01T12:30:00Z'), events: 3 },
  ]);
});
