import type { Stats } from '@herald/sdk/browser';
import { addSnapshot, deliveryMinutes, HISTORY_LENGTH, hourTotals, minuteSeries, toPoints } from './stats-history';

type Minute = Stats['deliveries']['series'][number];

function stats(series: Minute[] = [], more: Partial<Stats> = {}): Stats {
  return {
    events: { perMinute: 0, currentMinute: 0, lastHour: 0, series: [] },
    deliveries: { attempts: 0, success: 0, retry: 0, deadLetter: 0, successRate: null, deliveryRate: null, series },
    operational: { events: { perMinute: 0, currentMinute: 0, lastHour: 0, series: [] }, deliveries: { attempts: 0, success: 0, retry: 0, deadLetter: 0, successRate: null, deliveryRate: null } },
    queue: { waiting: 2, active: 1, delayed: 3, prioritized: 1 },
    deadLetters: 4,
    circuitsOpen: 1,
    stream: { length: 10, pending: 5 },
    ...more,
  };
}

it('charts the gauges the server keeps no history of, one point per poll', () => {
  const history = [
    { at: 1000, stats: stats() },
    { at: 6000, stats: stats([], { deadLetters: 6, circuitsOpen: 0 }) },
  ];
  expect(toPoints(history)).toEqual([
    { at: 1000, waiting: 3, active: 1, delayed: 3, deadLetters: 4, circuitsOpen: 1, pending: 5 },
    { at: 6000, waiting: 3, active: 1, delayed: 3, deadLetters: 6, circuitsOpen: 0, pending: 5 },
  ]);
});

it('keeps a bounded history of polls', () => {
  let history: { at: number; stats: Stats }[] = [];
  for (let i = 0; i < HISTORY_LENGTH + 50; i++) history = addSnapshot(history, i, stats());
  expect(history).toHaveLength(HISTORY_LENGTH);
  expect(history[0]!.at).toBe(50);
});

it('puts the per-minute series on the minutes of the last hour, the last being this one', () => {
  const now = Date.parse('2026-01-01T12:30:40Z');
  expect(minuteSeries([1, 2, 3], now)).toEqual([
    { minute: Date.parse('2026-01-01T12:28:00Z'), events: 1 },
    { minute: Date.parse('2026-01-01T12:29:00Z'), events: 2 },
    { minute: Date.parse('2026-01-01T12:30:00Z'), events: 3 },
  ]);
});

it('charts the server\'s delivery history per minute, with both rates: of deliveries settled, and of attempts', () => {
  const now = Date.parse('2026-01-01T12:30:40Z');
  const series = [
    { success: 1, retry: 3, deadLetter: 0 },
    { success: 0, retry: 0, deadLetter: 0 },
    { success: 3, retry: 0, deadLetter: 1 },
  ];
  expect(deliveryMinutes(series, now)).toEqual([
    { minute: Date.parse('2026-01-01T12:28:00Z'), success: 1, retry: 3, deadLetter: 0, delivered: 100, attemptsSucceeded: 25 },
    { minute: Date.parse('2026-01-01T12:29:00Z'), success: 0, retry: 0, deadLetter: 0, delivered: null, attemptsSucceeded: null },
    { minute: Date.parse('2026-01-01T12:30:00Z'), success: 3, retry: 0, deadLetter: 1, delivered: 75, attemptsSucceeded: 75 },
  ]);
  expect(hourTotals(series)).toEqual({ attempts: 8, success: 4, retry: 3, deadLetter: 1, delivered: 0.8, attemptsSucceeded: 0.5 });
  expect(hourTotals([])).toEqual({ attempts: 0, success: 0, retry: 0, deadLetter: 0, delivered: null, attemptsSucceeded: null });
});
